import { Injectable, Logger } from '@nestjs/common';
import { Cron, CronExpression } from '@nestjs/schedule';
import { ExclusiveJob } from '../common/exclusive-job.js';
import { AuditService } from './audit.service.js';

@Injectable()
export class AuditSweeper {
  private readonly job = new ExclusiveJob(new Logger(AuditSweeper.name), 'login audit purge');

  constructor(private readonly audit: AuditService) {}

  @Cron(CronExpression.EVERY_HOUR, { name: 'login-audit-purge' })
  run(): Promise<void> {
    return this.job.run(async () => {
      const purged = await this.audit.purge();
      return purged ? `${purged} records past retention purged` : undefined;
    });
  }
}
