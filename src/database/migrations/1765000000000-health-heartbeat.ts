import { MigrationInterface, QueryRunner, Table } from 'typeorm';

/** One row that readiness (/health) rewrites, at most every few seconds, to prove a write commits. */
export class HealthHeartbeat1765000000000 implements MigrationInterface {
  name = 'HealthHeartbeat1765000000000';

  async up(q: QueryRunner): Promise<void> {
    await q.createTable(
      new Table({
        name: 'health_heartbeat',
        columns: [
          { name: 'id', type: 'int', isPrimary: true },
          { name: 'beat_at', type: 'bigint' },
        ],
      }),
    );
    await q.query('INSERT INTO health_heartbeat (id, beat_at) VALUES (1, 0)');
  }

  async down(q: QueryRunner): Promise<void> {
    await q.dropTable('health_heartbeat');
  }
}
