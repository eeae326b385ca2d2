import { Injectable, Logger, OnApplicationShutdown } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { OnEvent } from '@nestjs/event-emitter';
import { setTimeout as sleep } from 'node:timers/promises';
import type { AppConfig } from '../config/configuration.js';
import type { SessionEvent } from '../sessions/session-events.js';
import { SIGNATURE_HEADER, signPayload } from './webhook-signature.js';

/** Deliveries beyond this many in flight are dropped (and logged) rather than piling up behind a dead receiver. */
export const MAX_PENDING = 1_000;

/**
 * POSTs every security event to WEBHOOK_URL, signed, off the request path: the listener only
 * starts a background delivery. Each attempt has a timeout; failures (network, timeout, 5xx,
 * 408, 429) are retried with doubling delays up to WEBHOOK_MAX_ATTEMPTS; other 4xx are final.
 */
@Injectable()
export class WebhookDispatcher implements OnApplicationShutdown {
  private readonly logger = new Logger(WebhookDispatcher.name);
  private readonly settings: AppConfig['webhook'];
  private readonly stopping = new AbortController();
  private readonly pending = new Set<Promise<void>>();
  protected maxPending = MAX_PENDING;

  constructor(config: ConfigService<AppConfig, true>) {
    this.settings = config.get('webhook', { infer: true });
  }

  @OnEvent('session.*')
  handle(event: SessionEvent): void {
    if (!this.settings.url || this.stopping.signal.aborted) return;
    if (this.pending.size >= this.maxPending) {
      this.logger.warn(`webhook backlog full: dropped ${event.type} ${event.id}`);
      return;
    }
    const delivery = this.deliver(event).finally(() => this.pending.delete(delivery));
    this.pending.add(delivery);
  }

  private async deliver(event: SessionEvent): Promise<void> {
    const { url, secret, timeoutMs, maxAttempts, retryDelayMs } = this.settings;
    const body = JSON.stringify(event);
    for (let attempt = 1; attempt <= maxAttempts; attempt += 1) {
      let problem: string;
      try {
        const res = await fetch(url!, {
          method: 'POST',
          body,
          headers: {
            'content-type': 'application/json',
            'user-agent': 'device-sessions-webhook',
            'x-device-sessions-event': event.type,
            'x-device-sessions-delivery': event.id,
            // Wall-clock time, not the injectable Clock: receivers compare it with their own clocks.
            [SIGNATURE_HEADER]: signPayload(secret, body, Math.floor(Date.now() / 1000)),
          },
          signal: AbortSignal.any([this.stopping.signal, AbortSignal.timeout(timeoutMs)]),
        });
        await res.arrayBuffer().catch(() => undefined);
        if (res.ok) return;
        problem = `HTTP ${res.status}`;
        if (res.status < 500 && res.status !== 408 && res.status !== 429) break;
      } catch (e) {
        if (this.stopping.signal.aborted) return;
        problem = (e as Error).message;
      }
      this.logger.warn(`webhook ${event.type} ${event.id} attempt ${attempt}/${maxAttempts} failed: ${problem}`);
      if (attempt === maxAttempts) return;
      try {
        await sleep(retryDelayMs * 2 ** (attempt - 1), undefined, { signal: this.stopping.signal });
      } catch {
        return;
      }
    }
    this.logger.warn(`webhook ${event.type} ${event.id} not retried`);
  }

  /**
   * Lets deliveries already in flight finish up to one timeout, then abandons the rest (they are logged, not queued).
   */
  async onApplicationShutdown(): Promise<void> {
    if (this.pending.size > 0)
      await Promise.race([
        Promise.allSettled([...this.pending]),
        sleep(this.settings.timeoutMs, undefined, { ref: false }),
      ]);
    this.stopping.abort();
    if (this.pending.size > 0) this.logger.warn(`shutdown: abandoned ${this.pending.size} webhook deliveries`);
  }
}
