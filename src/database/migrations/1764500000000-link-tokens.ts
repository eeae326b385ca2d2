import { type MigrationInterface, type QueryRunner, Table } from 'typeorm';

/**
 * The mailed links' tokens (email verification, password reset, "this wasn't me"): one table,
 * only their SHA-256, single use (`used_at`), each with its expiry. (Verification fills
 * `users.email_verified_at`, which UserRoles1764200000000 added.)
 */
export class LinkTokens1764500000000 implements MigrationInterface {
  name = 'LinkTokens1764500000000';

  async up(q: QueryRunner): Promise<void> {
    await q.createTable(
      new Table({
        name: 'link_tokens',
        columns: [
          { name: 'id', type: 'varchar', length: '36', isPrimary: true },
          { name: 'purpose', type: 'varchar', length: '16' },
          { name: 'token_hash', type: 'varchar', length: '64' },
          { name: 'user_id', type: 'varchar', length: '36' },
          // No foreign key: sessions are purged after their retention, the link simply finds none then.
          { name: 'session_id', type: 'varchar', length: '36', isNullable: true },
          { name: 'created_at', type: 'bigint' },
          { name: 'expires_at', type: 'bigint' },
          { name: 'used_at', type: 'bigint', isNullable: true },
        ],
        indices: [
          { name: 'uq_link_tokens_hash', columnNames: ['token_hash'], isUnique: true },
          { name: 'idx_link_tokens_user', columnNames: ['user_id', 'purpose'] },
          { name: 'idx_link_tokens_expiry', columnNames: ['expires_at'] },
        ],
        foreignKeys: [
          {
            name: 'fk_link_tokens_user',
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
    await q.dropTable('link_tokens');
  }
}
