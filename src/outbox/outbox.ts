import { Injectable } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import type { EntityManager } from 'typeorm';
import type { AppConfig } from '../config/configuration.js';
import { AfterCommit } from '../database/after-commit.js';
import type { OutboxChannel } from './outbox-channel.js';
import { seal } from './outbox-seal.js';
import { INSERT_SQL } from './outbox.sql.js';

/**
 * The transactional outbox: the one way a security event leaves the service. `add()` writes the
 * delivery as a row in the caller's transaction, so it exists if and only if the change that
 * caused it committed; OutboxRelay sends it after the commit, with retries, from whichever
 * instance claims it, also after a crash or a restart (at least once: receivers deduplicate on
 * the row's id, the event id). Channels register here (see OutboxChannel).
 */
@Injectable()
export class Outbox {
  private readonly channels = new Map<string, OutboxChannel>();
  private readonly key: Buffer;
  private wake: () => void = () => {};

  constructor(
    private readonly afterCommit: AfterCommit,
    config: ConfigService<AppConfig, true>,
  ) {
    this.key = config.get('outbox', { infer: true }).key;
  }

  register(channel: OutboxChannel<never>): void {
    if (this.channels.has(channel.name)) throw new Error(`outbox channel ${channel.name} registered twice`);
    this.channels.set(channel.name, channel);
  }

  channel(name: string): OutboxChannel | undefined {
    return this.channels.get(name);
  }

  /** The channels this instance delivers: the relay claims their rows only (none: it does not poll). */
  get enabled(): string[] {
    return [...this.channels.values()].filter((c) => c.enabled).map((c) => c.name);
  }

  /** The relay's hook: called once a transaction that added rows has committed. */
  onAdded(wake: () => void): void {
    this.wake = wake;
  }

  /**
   * Writes one delivery in `em`'s transaction (outside one, it is stored at once); nothing when
   * the channel is off. `id`: unique, the receivers' deduplication key (the event id, a SET's jti).
   */
  async add<P>(channelName: string, id: string, payload: P, em: EntityManager): Promise<void> {
    const channel = this.channels.get(channelName);
    if (!channel?.enabled) return;
    const text = JSON.stringify(payload);
    // Real time, not the app's clock: due times are about delivery, and every instance compares them.
    const now = Date.now();
    await em.query(INSERT_SQL, [id, channelName, channel.sealed ? seal(this.key, text) : text, 'pending', now, now]);
    await this.afterCommit.onCommit(em, async () => this.wake());
  }
}
