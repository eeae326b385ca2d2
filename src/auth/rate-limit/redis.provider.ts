import { Inject, Injectable, OnApplicationShutdown, Provider } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { Redis } from 'ioredis';
import type { AppConfig } from '../../config/configuration.js';

export const RATE_LIMIT_REDIS = Symbol('RATE_LIMIT_REDIS');

/**
 * The Redis connection that holds rate-limit counters when REDIS_URL is set, so limits hold
 * across instances. Commands fail at once while Redis is away (no offline queue, one retry):
 * the exception filter answers 503 rather than letting requests pile up or skip the limit.
 */
export const rateLimitRedisProvider: Provider = {
  provide: RATE_LIMIT_REDIS,
  inject: [ConfigService],
  useFactory: async (config: ConfigService<AppConfig, true>): Promise<Redis | null> => {
    const url = config.get('redis', { infer: true }).url;
    if (!url) return null;
    const redis = new Redis(url, {
      lazyConnect: true,
      enableOfflineQueue: false,
      maxRetriesPerRequest: 1,
      connectTimeout: 2000,
    });
    // Errors surface on the commands; without a listener ioredis would also log each reconnect failure as unhandled.
    redis.on('error', () => undefined);
    // Boot even while Redis is away: ioredis keeps reconnecting, and until it is back the
    // limited routes answer 503 (their commands fail) while everything else keeps working.
    await redis.connect().catch(() => undefined);
    return redis;
  },
};

@Injectable()
export class RateLimitRedisCloser implements OnApplicationShutdown {
  constructor(@Inject(RATE_LIMIT_REDIS) private readonly redis: Redis | null) {}

  async onApplicationShutdown(): Promise<void> {
    await this.redis?.quit().catch(() => this.redis?.disconnect());
  }
}
