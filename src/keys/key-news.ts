import { Logger, OnApplicationShutdown } from '@nestjs/common';
import { Redis } from 'ioredis';

/**
 * Tells every instance at once that the key set changed (a rotation, a revocation), over a
 * Redis channel, so they re-read it now rather than at their next poll. Only a hint: the poll
 * (JWT_KEY_POLL_MS) is the bound, and without Redis it is all there is. Connections as the
 * validity cache's (src/sessions/validity-cache.redis.ts): fail fast, boot with Redis down,
 * subscribe again on every reconnection (and re-read then: news may have been missed).
 */
export class KeyNews implements OnApplicationShutdown {
  private readonly logger = new Logger('KeyNews');
  private readonly channel: string;
  private pub?: Redis;
  private sub?: Redis;

  constructor(private readonly url: string | undefined) {
    // Pub/sub channels are not scoped by database index: name them by it.
    this.channel = url ? `device-sessions:${new URL(url).pathname.slice(1) || '0'}:keys` : '';
  }

  /** Tells the other instances; never throws (they learn at their next poll). */
  async publish(): Promise<void> {
    if (!this.url) return;
    this.pub ??= this.connection(false);
    try {
      if (this.pub.status === 'wait') await this.pub.connect();
      await this.pub.publish(this.channel, 'changed');
    } catch (e) {
      this.logger.warn(`could not announce the key change: ${(e as Error).message}`);
    }
  }

  /** Calls `onNews` for every announcement, and on every (re)subscription. */
  async listen(onNews: () => void): Promise<void> {
    if (!this.url || this.sub) return;
    const sub = (this.sub = this.connection(true));
    sub.on('message', () => onNews());
    sub.on('ready', () => {
      sub.subscribe(this.channel).then(onNews, (e: Error) => this.logger.warn(`subscribe failed: ${e.message}`));
    });
    await sub.connect().catch(() => undefined);
  }

  private connection(subscriber: boolean): Redis {
    const redis = new Redis(this.url!, {
      lazyConnect: true,
      maxRetriesPerRequest: 0,
      enableOfflineQueue: subscriber,
      autoResubscribe: false,
      connectTimeout: 2000,
      ...(subscriber ? {} : { commandTimeout: 2000 }),
    });
    redis.on('error', (e: Error) => this.logger.debug(`redis: ${e.message}`));
    return redis;
  }

  async onApplicationShutdown(): Promise<void> {
    this.pub?.disconnect();
    this.sub?.disconnect();
  }
}
