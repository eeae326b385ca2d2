import { MigrationInterface, QueryRunner, Table } from 'typeorm';

export class LoginAudit1764000000000 implements MigrationInterface {
  name = 'LoginAudit1764000000000';

  async up(q: QueryRunner): Promise<void> {
    await q.createTable(
      new Table({
        name: 'login_audit',
        columns: [
          { name: 'id', type: 'varchar', length: '36', isPrimary: true },
          // No foreign key: the record of an attempt outlives a deleted account until the retention purge.
          { name: 'user_id', type: 'varchar', length: '36', isNullable: true },
          { name: 'email_hash', type: 'varchar', length: '64' },
          { name: 'outcome', type: 'varchar', length: '20' },
          { name: 'ip_address', type: 'varchar', length: '45', isNullable: true },
          { name: 'user_agent', type: 'varchar', length: '512', isNullable: true },
          { name: 'created_at', type: 'bigint' },
        ],
        indices: [
          { name: 'idx_login_audit_user', columnNames: ['user_id', 'created_at'] },
          { name: 'idx_login_audit_email', columnNames: ['email_hash', 'created_at'] },
          { name: 'idx_login_audit_created', columnNames: ['created_at'] },
        ],
      }),
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.dropTable('login_audit');
  }
}
