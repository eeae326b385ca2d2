import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { Logger, OnApplicationShutdown, OnModuleInit } from '@nestjs/common';
import { Redis } from 'ioredis';
import { EndingsTail, type SessionEndingsLog } from './session-endings.js';
import { LocalValidityCache } from './validity-cache.js';
import type { EvictTarget } from './validity-lru.js';

type Message =
  { t: 'ping'; from: string; until: number } | { t: 'evict'; from: string; id: string; target: EvictTarget };

interface Waiter {
  acked: Set<string>;
  onAck?: () => void;
}

export interface RedisValidityCacheOptions {
  url: string;
  capacity: number;
  leaseMs: number;
  /** The revocation log, read before every lease renewal. */
  endings: Pick<SessionEndingsLog, 'startAt' | 'read'>;
  /** Real time (never the app's injectable clock): leases are about message delivery. */
  now?: () => number;
}

/**
 * Several instances, one Redis, one database. A revocation commits (with its row in the
 * revocation log), publishes the target on a channel and returns once every instance
 * registered as live has acknowledged the eviction or its lease has lapsed. An instance serves
 * from its cache only while it holds both halves of its lease:
 * - Redis: renewed by hearing its own heartbeat back through its subscription. Redis delivers
 *   a channel's messages in order, so a renewed lease proves every eviction published before
 *   the heartbeat was applied. Losing the subscription drops the lease and the cache at once.
 * - the database: renewed by a read of the revocation log that started less than a lease ago
 *   and applied every ending committed before it. This half holds when the revoking instance
 *   never published (killed after its commit, cut off from Redis, its commit's reply lost):
 *   every committed ending reaches every cache within one lease. An instance that cannot read
 *   the log stops serving from its cache.
 * The log is read once per heartbeat (a quarter lease), never per request.
 */
export class RedisValidityCache extends LocalValidityCache implements OnModuleInit, OnApplicationShutdown {
  override readonly mode = 'redis' as const;
  private readonly logger = new Logger('ValidityCache');
  private readonly instanceId = randomUUID();
  private readonly pub: Redis;
  private readonly sub: Redis;
  private readonly channel: string;
  private readonly registry: string;
  private readonly now: () => number;
  private readonly leaseMs: number;
  /** Served lease ends this much before the registered one: room for clock skew between hosts. */
  private readonly skewMs: number;
  private leaseUntil = 0;
  /** Until when the last successful read of the revocation log lets this instance serve from its cache. */
  private logUntil = 0;
  private readonly tail: EndingsTail;
  private heartbeatTimer?: NodeJS.Timeout;
  private beating = false;
  private readonly waiters = new Map<string, Waiter>();

  constructor(options: RedisValidityCacheOptions) {
    super(options.capacity);
    this.leaseMs = options.leaseMs;
    this.skewMs = Math.floor(options.leaseMs / 4);
    this.now = options.now ?? Date.now;
    this.tail = new EndingsTail(options.endings, (target) => this.cache.evict(target));
    // Pub/sub channels are not scoped by database index: name them by it.
    const prefix = `device-sessions:${new URL(options.url).pathname.slice(1) || '0'}:sessions`;
    this.channel = `${prefix}:evict`;
    this.registry = `${prefix}:instances`;
    // Fail fast instead of queueing while disconnected: a revocation must not hang on Redis.
    const common = { maxRetriesPerRequest: 0, commandTimeout: options.leaseMs, lazyConnect: true };
    this.pub = new Redis(options.url, { ...common, enableOfflineQueue: false });
    this.sub = new Redis(options.url, {
      ...common,
      enableOfflineQueue: true,
      commandTimeout: undefined,
      autoResubscribe: false,
    });
  }

  private ackChannel(instance: string): string {
    return `${this.channel}:ack:${instance}`;
  }

  /** Whether this instance holds a fresh lease (serves from its cache). */
  get leased(): boolean {
    return this.usable();
  }

  protected override usable(): boolean {
    const now = this.now();
    return now < this.leaseUntil && now < this.logUntil;
  }

  /** After a lapse the instance may have missed evictions: it starts empty. */
  private renew(half: 'leaseUntil' | 'logUntil', until: number): void {
    if (!this.usable()) this.cache.clear();
    this[half] = Math.max(this[half], until);
  }

  async onModuleInit(): Promise<void> {
    for (const c of [this.pub, this.sub]) c.on('error', (e: Error) => this.logger.debug(`redis: ${e.message}`));
    this.sub.on('close', () => this.dropLease());
    this.sub.on('message', (channel: string, raw: string) => this.onMessage(channel, raw));
    // On every (re)connection, including one that only succeeds after a boot with Redis down.
    this.sub.on('ready', () => {
      this.sub
        .subscribe(this.channel, this.ackChannel(this.instanceId))
        .catch((e: Error) => this.logger.warn(`subscribe failed: ${e.message}`));
    });
    // Boot even when Redis is down: the instance reads the database until it gets a lease.
    await Promise.allSettled([this.pub.connect(), this.sub.connect()]);
    const every = Math.max(50, Math.floor(this.leaseMs / 4));
    this.heartbeatTimer = setInterval(() => void this.heartbeat(), every);
    this.heartbeatTimer.unref();
    void this.heartbeat();
  }

  /** After Nest drained the HTTP server: requests still in flight keep their cache and their revocations' fan-out. */
  async onApplicationShutdown(): Promise<void> {
    clearInterval(this.heartbeatTimer);
    await this.pub.zrem(this.registry, this.instanceId).catch(() => undefined);
    this.pub.disconnect();
    this.sub.disconnect();
  }

  private dropLease(): void {
    this.leaseUntil = 0;
    this.cache.clear();
  }

  private async heartbeat(): Promise<void> {
    if (this.beating) return;
    this.beating = true;
    const until = this.now() + this.leaseMs;
    const tailed = this.tail.poll().then(
      () => this.renew('logUntil', until - this.skewMs),
      (e: Error) => this.logger.debug(`revocation log unreadable: ${e.message}`),
    );
    try {
      // Registered before it is published: whoever can see the lease in use can see it registered.
      await this.pub.zadd(this.registry, until, this.instanceId);
      await this.pub.publish(
        this.channel,
        JSON.stringify({ t: 'ping', from: this.instanceId, until } satisfies Message),
      );
      await this.pub.zremrangebyscore(this.registry, '-inf', this.now() - 60_000);
    } catch (e) {
      this.logger.debug(`heartbeat failed: ${(e as Error).message}`);
    } finally {
      await tailed;
      this.beating = false;
    }
  }

  private onMessage(channel: string, raw: string): void {
    let msg: Message | { id: string; from: string };
    try {
      msg = JSON.parse(raw) as typeof msg;
    } catch {
      return;
    }
    if (!('t' in msg)) {
      const waiter = this.waiters.get(msg.id);
      waiter?.acked.add(msg.from);
      waiter?.onAck?.();
    } else if (msg.t === 'evict' && msg.from !== this.instanceId) {
      this.cache.evict(msg.target);
      this.pub
        .publish(this.ackChannel(msg.from), JSON.stringify({ id: msg.id, from: this.instanceId }))
        .catch(() => undefined);
    } else if (msg.t === 'ping' && msg.from === this.instanceId && channel === this.channel) {
      this.renew('leaseUntil', msg.until - this.skewMs);
    }
  }

  override async evict(target: EvictTarget, confirm: boolean): Promise<void> {
    this.cache.evict(target);
    const id = randomUUID();
    const start = this.now();
    const waiter: Waiter = { acked: new Set() };
    if (confirm) this.waiters.set(id, waiter);
    try {
      await this.pub.publish(
        this.channel,
        JSON.stringify({ t: 'evict', from: this.instanceId, id, target } satisfies Message),
      );
      if (!confirm) return;
      const live = await this.pub.zrangebyscore(this.registry, start, '+inf', 'WITHSCORES');
      const leases = new Map<string, number>();
      for (let i = 0; i < live.length; i += 2)
        if (live[i] !== this.instanceId) leases.set(live[i], Number(live[i + 1]));
      await this.acknowledged(waiter, leases);
    } catch (e) {
      if (!confirm) return;
      this.logger.warn(`eviction not confirmed over Redis, waiting out the lease: ${(e as Error).message}`);
      // Nobody can be told, but the ending is in the revocation log: once every lease that could
      // have been renewed before the commit has lapsed, each instance has read it or stopped
      // serving from its cache.
      await sleep(Math.max(0, start + this.leaseMs - this.now()));
    } finally {
      this.waiters.delete(id);
    }
  }

  /** Resolves when each instance has acknowledged or its registered lease has lapsed. */
  private acknowledged(waiter: Waiter, leases: Map<string, number>): Promise<void> {
    return new Promise((resolve) => {
      // eslint-disable-next-line prefer-const -- check() may run, and read it, before it is set
      let timer: NodeJS.Timeout | undefined;
      const check = () => {
        const now = this.now();
        const pending = [...leases].filter(([instance, until]) => !waiter.acked.has(instance) && now < until);
        if (pending.length > 0) return false;
        clearTimeout(timer);
        resolve();
        return true;
      };
      if (check()) return;
      waiter.onAck = check;
      timer = setTimeout(check, Math.max(...leases.values()) - this.now() + 1);
    });
  }
}
