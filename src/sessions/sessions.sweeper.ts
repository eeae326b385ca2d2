import { Injectable, Logger } from '@nestjs/common';
import { Cron, CronExpression } from '@nestjs/schedule';
import { SessionsService } from './sessions.service.js';

@Injectable()
export class SessionsSweeper {
  private readonly logger = new Logger(SessionsSweeper.name);
  private running = false;

  constructor(private readonly sessions: SessionsService) {}

  @Cron(CronExpression.EVERY_10_MINUTES, { name: 'sessions-sweep' })
  async run(): Promise<void> {
    if (this.running) return;
    this.running = true;
    try {
      const { expired, purged } = await this.sessions.sweep();
      if (expired || purged) this.logger.log(`sweep: ${expired} expired, ${purged} purged`);
    } catch (e) {
      this.logger.warn(`sweep failed: ${(e as Error).message}`);
    } finally {
      this.running = false;
    }
  }
}
