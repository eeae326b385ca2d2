import { type MigrationInterface, type QueryRunner, Table } from 'typeorm';

/**
 * The access tokens' signing keys (JWT_ALGORITHM ES256 or EdDSA): public JWK, private key
 * encrypted under a key derived from JWT_SECRET, and the key's times. A unique `generation`
 * makes concurrent key creation insert one row. HS256 deployments leave the table empty.
 */
export class SigningKeys1765300000000 implements MigrationInterface {
  name = 'SigningKeys1765300000000';

  async up(q: QueryRunner): Promise<void> {
    await q.createTable(
      new Table({
        name: 'signing_keys',
        columns: [
          { name: 'kid', type: 'varchar', length: '64', isPrimary: true },
          { name: 'generation', type: 'int' },
          { name: 'alg', type: 'varchar', length: '16' },
          { name: 'public_jwk', type: 'text' },
          { name: 'private_key', type: 'text' },
          { name: 'created_at', type: 'bigint' },
          { name: 'activates_at', type: 'bigint' },
          { name: 'retires_at', type: 'bigint', isNullable: true },
          { name: 'revoked_at', type: 'bigint', isNullable: true },
        ],
        indices: [{ name: 'uq_signing_keys_generation', columnNames: ['generation'], isUnique: true }],
      }),
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.dropTable('signing_keys');
  }
}
