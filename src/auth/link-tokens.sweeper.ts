import { Injectable, Logger } from '@nestjs/common';
import { Cron, CronExpression } from '@nestjs/schedule';
import { ExclusiveJob } from '../common/exclusive-job.js';
import { LinkTokens } from './link-tokens.js';

@Injectable()
export class LinkTokensSweeper {
  private readonly job = new ExclusiveJob(new Logger(LinkTokensSweeper.name), 'link token purge');

  constructor(private readonly links: LinkTokens) {}

  @Cron(CronExpression.EVERY_HOUR, { name: 'link-token-purge' })
  run(): Promise<void> {
    return this.job.run(async () => {
      const purged = await this.links.purge();
      return purged ? `${purged} expired link tokens purged` : undefined;
    });
  }
}
