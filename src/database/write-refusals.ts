import type { DataSource, Logger } from 'typeorm';
import { isWriteRefused } from '../common/filters/unavailable.js';

/**
 * TypeORM's logger, used only to count refused writes (read-only, full, failing disk) wherever
 * they happen: in a request, the activity writer, a sweep. Readiness reads the count: its own
 * small probe write can still commit on a full disk (InnoDB fills free pages of existing
 * tablespaces; SQLite reuses its WAL) while the writes that allocate fail.
 */
export class WriteRefusals implements Logger {
  count = 0;

  logQueryError(error: unknown): void {
    if (isWriteRefused(error)) this.count += 1;
  }

  logQuery(): void {}
  logQuerySlow(): void {}
  logSchemaBuild(): void {}
  logMigration(): void {}
  log(): void {}
}

/** The refusals counted on this DataSource so far (0 when it was built without the watch, as the CLI's). */
export function writeRefusalsOf(dataSource: DataSource): number {
  return dataSource.logger instanceof WriteRefusals ? dataSource.logger.count : 0;
}
