import { Injectable, Logger } from '@nestjs/common';
import { Cron, CronExpression } from '@nestjs/schedule';
import { AuditService } from './audit.service.js';

@Injectable()
export class AuditSweeper {
  private readonly logger = new Logger(AuditSweeper.name);
  private running = false;

  constructor(private readonly audit: AuditService) {}

  @Cron(CronExpression.EVERY_HOUR, { name: 'login-audit-purge' })
  async run(): Promise<void> {
    if (this.running) return;
    this.running = true;
    try {
      const purged = await this.audit.purge();
      if (purged) this.logger.log(`login audit: ${purged} records past retention purged`);
    } catch (e) {
      this.logger.warn(`login audit purge failed: ${(e as Error).message}`);
    } finally {
      this.running = false;
    }
  }
}
