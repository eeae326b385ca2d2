import { MigrationInterface, QueryRunner, Table, TableForeignKey, TableIndex } from 'typeorm';

const id = { type: 'varchar', length: '36' };
const ms = { type: 'bigint' };
const text = (length: number, isNullable = true) => ({ type: 'varchar', length: String(length), isNullable });

export class InitialSchema1763900000000 implements MigrationInterface {
  name = 'InitialSchema1763900000000';

  async up(q: QueryRunner): Promise<void> {
    await q.createTable(
      new Table({
        name: 'users',
        columns: [
          { name: 'id', ...id, isPrimary: true },
          { name: 'email', ...text(254, false) },
          { name: 'name', ...text(100) },
          { name: 'password_hash', ...text(255, false) },
          { name: 'created_at', ...ms },
          { name: 'updated_at', ...ms },
        ],
        indices: [{ name: 'uq_users_email', columnNames: ['email'], isUnique: true }],
      }),
    );
    await q.createTable(
      new Table({
        name: 'sessions',
        columns: [
          { name: 'id', ...id, isPrimary: true },
          { name: 'user_id', ...id },
          { name: 'device_name', ...text(100, false) },
          { name: 'device_type', ...text(16, false) },
          { name: 'device_vendor', ...text(64) },
          { name: 'device_model', ...text(64) },
          { name: 'browser_name', ...text(64) },
          { name: 'browser_version', ...text(32) },
          { name: 'os_name', ...text(64) },
          { name: 'os_version', ...text(32) },
          { name: 'user_agent', ...text(512) },
          { name: 'ip_address', ...text(45) },
          { name: 'location_country', ...text(2) },
          { name: 'location_region', ...text(128) },
          { name: 'location_city', ...text(128) },
          { name: 'created_at', ...ms },
          { name: 'last_active_at', ...ms },
          { name: 'expires_at', ...ms },
          { name: 'token_deleted', type: 'boolean', default: false },
          { name: 'logged_out', type: 'boolean', default: false },
          { name: 'ended_at', ...ms, isNullable: true },
          { name: 'end_reason', ...text(20) },
          { name: 'refresh_token_hash', ...text(64, false) },
          { name: 'refresh_seed', ...text(64, false) },
          { name: 'refresh_generation', type: 'int', default: 0 },
          { name: 'refreshed_at', ...ms },
        ],
      }),
    );
    // "Active sessions of user X, newest activity first" is an index range scan, no sort.
    await q.createIndex(
      'sessions',
      new TableIndex({ name: 'idx_sessions_user_active', columnNames: ['user_id', 'token_deleted', 'last_active_at'] }),
    );
    // The expiry sweep and the retention purge.
    await q.createIndex(
      'sessions',
      new TableIndex({ name: 'idx_sessions_expiry', columnNames: ['token_deleted', 'expires_at'] }),
    );
    await q.createIndex(
      'sessions',
      new TableIndex({ name: 'idx_sessions_idle', columnNames: ['token_deleted', 'last_active_at'] }),
    );
    await q.createIndex('sessions', new TableIndex({ name: 'idx_sessions_ended', columnNames: ['ended_at'] }));
    await q.createForeignKey(
      'sessions',
      new TableForeignKey({
        name: 'fk_sessions_user',
        columnNames: ['user_id'],
        referencedTableName: 'users',
        referencedColumnNames: ['id'],
        onDelete: 'CASCADE',
      }),
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.dropTable('sessions');
    await q.dropTable('users');
  }
}
