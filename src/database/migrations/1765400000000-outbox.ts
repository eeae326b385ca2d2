import { MigrationInterface, QueryRunner, Table, TableIndex } from 'typeorm';

/**
 * Two tables written in the same transaction as the change they tell of:
 * - `outbox`: one row per delivery (a webhook, a mail, later a SET per receiver), claimed and
 *   sent by one instance after the commit, retried with backoff, kept as `failed` at the end;
 * - `session_endings`: the revocation log every instance tails before it renews its cache
 *   lease, so that a committed ending reaches every cache even when its own instance dies.
 */
export class Outbox1765400000000 implements MigrationInterface {
  name = 'Outbox1765400000000';

  async up(q: QueryRunner): Promise<void> {
    const mysql = q.connection.options.type === 'mysql';
    await q.createTable(
      new Table({
        name: 'outbox',
        columns: [
          { name: 'id', type: 'varchar', length: '36', isPrimary: true },
          { name: 'channel', type: 'varchar', length: '32' },
          { name: 'payload', type: mysql ? 'mediumtext' : 'text' },
          { name: 'state', type: 'varchar', length: '16', default: "'pending'" },
          { name: 'attempts', type: 'int', default: 0 },
          // The next attempt's time, or the end of the current claim's lease.
          { name: 'due_at', type: 'bigint' },
          { name: 'claim', type: 'varchar', length: '36', isNullable: true },
          { name: 'created_at', type: 'bigint' },
          { name: 'done_at', type: 'bigint', isNullable: true },
          { name: 'last_error', type: 'varchar', length: '255', isNullable: true },
        ],
      }),
    );
    await q.createIndex('outbox', new TableIndex({ name: 'idx_outbox_due', columnNames: ['state', 'due_at'] }));
    await q.createIndex('outbox', new TableIndex({ name: 'idx_outbox_claim', columnNames: ['claim'] }));
    await q.createTable(
      new Table({
        name: 'session_endings',
        columns: [
          mysql
            ? { name: 'seq', type: 'bigint', isPrimary: true, isGenerated: true, generationStrategy: 'increment' }
            : { name: 'seq', type: 'integer', isPrimary: true, isGenerated: true, generationStrategy: 'increment' },
          { name: 'user_id', type: 'varchar', length: '36', isNullable: true },
          // A JSON array of session ids; NULL: every session of the user.
          { name: 'session_ids', type: 'text', isNullable: true },
          { name: 'created_at', type: 'bigint' },
        ],
      }),
    );
    await q.createIndex(
      'session_endings',
      new TableIndex({ name: 'idx_session_endings_created', columnNames: ['created_at'] }),
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.dropTable('session_endings');
    await q.dropTable('outbox');
  }
}
