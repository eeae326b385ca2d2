import { type MigrationInterface, type QueryRunner, TableColumn } from 'typeorm';

/**
 * `sessions.authenticated_at`: when the session last proved the password (its login, or
 * POST /v1/auth/reauthenticate); ending other sessions and deleting the account ask for a recent
 * one. Existing sessions count from their login.
 */
export class SessionAuthenticatedAt1765200000000 implements MigrationInterface {
  name = 'SessionAuthenticatedAt1765200000000';

  async up(q: QueryRunner): Promise<void> {
    await q.addColumn('sessions', new TableColumn({ name: 'authenticated_at', type: 'bigint', default: 0 }));
    await q.query('UPDATE sessions SET authenticated_at = created_at');
  }

  async down(q: QueryRunner): Promise<void> {
    await q.dropColumn('sessions', 'authenticated_at');
  }
}
