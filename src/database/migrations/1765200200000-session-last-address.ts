import { type MigrationInterface, type QueryRunner, TableColumn } from 'typeorm';

/**
 * Where a session has been: the address it was last used from and its approximate location
 * (`last_ip_address`, `last_location_*`), moved by refreshes and requests from another address.
 * Existing sessions start from their login's.
 */
export class SessionLastAddress1765200200000 implements MigrationInterface {
  name = 'SessionLastAddress1765200200000';

  async up(q: QueryRunner): Promise<void> {
    await q.addColumns('sessions', [
      new TableColumn({ name: 'last_ip_address', type: 'varchar', length: '45', isNullable: true }),
      new TableColumn({ name: 'last_location_country', type: 'varchar', length: '2', isNullable: true }),
      new TableColumn({ name: 'last_location_region', type: 'varchar', length: '128', isNullable: true }),
      new TableColumn({ name: 'last_location_city', type: 'varchar', length: '128', isNullable: true }),
    ]);
    await q.query(
      'UPDATE sessions SET last_ip_address = ip_address, last_location_country = location_country, ' +
        'last_location_region = location_region, last_location_city = location_city',
    );
  }

  async down(q: QueryRunner): Promise<void> {
    for (const column of ['last_location_city', 'last_location_region', 'last_location_country', 'last_ip_address'])
      await q.dropColumn('sessions', column);
  }
}
