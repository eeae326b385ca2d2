import { type MigrationInterface, type QueryRunner, TableColumn } from 'typeorm';

/**
 * `users.credential_version`: counts the user's password changes and resets. A login records the
 * version it checked the password under, and its session is stored only while the user's version
 * is still that one, so a login racing a new password leaves no session (src/auth/credentials.ts).
 */
export class CredentialVersion1765100000000 implements MigrationInterface {
  name = 'CredentialVersion1765100000000';

  async up(q: QueryRunner): Promise<void> {
    await q.addColumn('users', new TableColumn({ name: 'credential_version', type: 'int', default: 0 }));
  }

  async down(q: QueryRunner): Promise<void> {
    await q.dropColumn('users', 'credential_version');
  }
}
