import { Injectable, OnModuleInit } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import type { AppConfig } from '../config/configuration.js';
import { type Delivery, FinalFailure, type OutboxChannel } from '../outbox/outbox-channel.js';
import { Outbox } from '../outbox/outbox.js';
import type { SessionEvent } from '../sessions/session-events.js';
import { SIGNATURE_HEADER, signPayload } from './webhook-signature.js';

export const WEBHOOK_CHANNEL = 'webhook';

/**
 * The outbox channel that POSTs every security event to WEBHOOK_URL, signed. One attempt per
 * call, with a timeout: network errors, timeouts, 5xx, 408 and 429 are retried by the outbox
 * (doubling from WEBHOOK_RETRY_DELAY_MS, up to WEBHOOK_MAX_ATTEMPTS); other 4xx are final.
 */
@Injectable()
export class WebhookChannel implements OutboxChannel<SessionEvent>, OnModuleInit {
  readonly name = WEBHOOK_CHANNEL;
  readonly enabled: boolean;
  readonly maxAttempts: number;
  readonly retryDelayMs: number;
  private readonly settings: AppConfig['webhook'];

  constructor(
    config: ConfigService<AppConfig, true>,
    private readonly outbox: Outbox,
  ) {
    this.settings = config.get('webhook', { infer: true });
    this.enabled = Boolean(this.settings.url);
    this.maxAttempts = this.settings.maxAttempts;
    this.retryDelayMs = this.settings.retryDelayMs;
  }

  onModuleInit(): void {
    this.outbox.register(this);
  }

  describe(event: SessionEvent): string {
    return event.type;
  }

  async deliver({ payload: event, signal }: Delivery<SessionEvent>): Promise<void> {
    const body = JSON.stringify(event);
    const res = await fetch(this.settings.url!, {
      method: 'POST',
      body,
      headers: {
        'content-type': 'application/json',
        'user-agent': 'device-sessions-webhook',
        'x-device-sessions-event': event.type,
        'x-device-sessions-delivery': event.id,
        // Wall-clock time, not the injectable Clock: receivers compare it with their own clocks.
        [SIGNATURE_HEADER]: signPayload(this.settings.secret, body, Math.floor(Date.now() / 1000)),
      },
      signal: AbortSignal.any([signal, AbortSignal.timeout(this.settings.timeoutMs)]),
    });
    await res.arrayBuffer().catch(() => undefined);
    if (res.ok) return;
    if (res.status < 500 && res.status !== 408 && res.status !== 429) throw new FinalFailure(`HTTP ${res.status}`);
    throw new Error(`HTTP ${res.status}`);
  }
}
