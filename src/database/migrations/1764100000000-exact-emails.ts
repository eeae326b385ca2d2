import { Logger } from '@nestjs/common';
import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The email rule as of this migration (common/email.ts then), written out here: a later change
 * to the rule must not change what this migration did.
 */
const normalize = (email: string) => email.normalize('NFKC').trim().toLowerCase().normalize('NFKC');

interface Row {
  id: string;
  email: string;
  created_at: number | string;
}

/**
 * Emails become byte-exact: on MySQL/MariaDB the column's collation is utf8mb4_bin (it was
 * utf8mb4_unicode_ci, which made accented and full-width spellings one address in the database
 * while the rest of the service counted them apart); on both databases every stored email is
 * rewritten to the normalized form.
 *
 * Two accounts whose emails normalize to the same address (look-alikes SQLite let in, such as a
 * full-width spelling of an existing address) cannot both keep it. The one already spelled in
 * the normalized form keeps it, else the oldest; the others keep their stored spelling, which no
 * lookup produces any more: they cannot log in and nobody can register their address over them,
 * nothing is deleted, and their ids are logged for an operator to resolve (README, "Admins").
 */
export class ExactEmails1764100000000 implements MigrationInterface {
  name = 'ExactEmails1764100000000';

  async up(q: QueryRunner): Promise<void> {
    // Collation first: under utf8mb4_unicode_ci, renaming one row to the normalized spelling of
    // another could collide on the unique index although the bytes differ.
    if (q.connection.options.type === 'mysql')
      await q.query('ALTER TABLE users MODIFY email varchar(254) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL');
    const rows = (await q.query('SELECT id, email, created_at FROM users')) as Row[];
    const byAddress = new Map<string, Row[]>();
    for (const row of rows) {
      const address = normalize(row.email);
      byAddress.set(address, [...(byAddress.get(address) ?? []), row]);
    }
    for (const [address, group] of byAddress) {
      const keeper =
        group.find((r) => r.email === address) ??
        [...group].sort((a, b) => Number(a.created_at) - Number(b.created_at) || a.id.localeCompare(b.id))[0];
      if (keeper.email !== address) await q.query('UPDATE users SET email = ? WHERE id = ?', [address, keeper.id]);
      const others = group.filter((r) => r !== keeper).map((r) => r.id);
      if (others.length > 0)
        new Logger('Migration').warn(
          `ExactEmails: users ${others.join(', ')} have the same normalized email as user ${keeper.id}, ` +
            'which keeps it; they cannot log in until an operator gives them another email',
        );
    }
  }

  async down(q: QueryRunner): Promise<void> {
    if (q.connection.options.type === 'mysql')
      await q.query(
        'ALTER TABLE users MODIFY email varchar(254) CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci NOT NULL',
      );
  }
}
