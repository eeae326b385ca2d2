import { type MigrationInterface, type QueryRunner, Table, TableColumn } from 'typeorm';

/**
 * Roles an operator granted (`npm run admin -- grant <email>`), and when a user's email was
 * verified: ADMIN_EMAILS grants `admin` only to a verified address, so registering a listed
 * address first gains nothing. Verification itself fills the column later (email verification).
 */
export class UserRoles1764200000000 implements MigrationInterface {
  name = 'UserRoles1764200000000';

  async up(q: QueryRunner): Promise<void> {
    await q.addColumn('users', new TableColumn({ name: 'email_verified_at', type: 'bigint', isNullable: true }));
    await q.createTable(
      new Table({
        name: 'user_roles',
        columns: [
          { name: 'user_id', type: 'varchar', length: '36', isPrimary: true },
          { name: 'role', type: 'varchar', length: '32', isPrimary: true },
          { name: 'granted_at', type: 'bigint' },
        ],
        foreignKeys: [
          {
            name: 'fk_user_roles_user',
            columnNames: ['user_id'],
            referencedTableName: 'users',
            referencedColumnNames: ['id'],
            onDelete: 'CASCADE',
          },
        ],
      }),
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.dropTable('user_roles');
    await q.dropColumn('users', 'email_verified_at');
  }
}
