import { Injectable, Logger } from '@nestjs/common';
import { Cron, CronExpression } from '@nestjs/schedule';
import { ExclusiveJob } from '../common/exclusive-job.js';
import { SessionsService } from './sessions.service.js';

@Injectable()
export class SessionsSweeper {
  private readonly job = new ExclusiveJob(new Logger(SessionsSweeper.name), 'sweep');

  constructor(private readonly sessions: SessionsService) {}

  @Cron(CronExpression.EVERY_10_MINUTES, { name: 'sessions-sweep' })
  run(): Promise<void> {
    return this.job.run(async () => {
      const { expired, purged } = await this.sessions.sweep();
      return expired || purged ? `${expired} expired, ${purged} purged` : undefined;
    });
  }
}
