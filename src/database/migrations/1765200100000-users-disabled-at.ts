import { type MigrationInterface, type QueryRunner, TableColumn } from 'typeorm';

/** `users.disabled_at`: set while an admin has disabled the account (POST /v1/admin/users/:id/disable). */
export class UsersDisabledAt1765200100000 implements MigrationInterface {
  name = 'UsersDisabledAt1765200100000';

  async up(q: QueryRunner): Promise<void> {
    await q.addColumn('users', new TableColumn({ name: 'disabled_at', type: 'bigint', isNullable: true }));
  }

  async down(q: QueryRunner): Promise<void> {
    await q.dropColumn('users', 'disabled_at');
  }
}
