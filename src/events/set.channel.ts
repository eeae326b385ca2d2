import { Injectable, OnModuleInit } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import type { AppConfig } from '../config/configuration.js';
import { SigningKeys } from '../keys/signing-keys.js';
import { type Delivery, FinalFailure, type OutboxChannel } from '../outbox/outbox-channel.js';
import { Outbox } from '../outbox/outbox.js';
import { SET_CHANNEL, SET_TYP, setClaims, type SetPayload } from '../sessions/security-event-tokens.js';

/**
 * The outbox channel that pushes Security Event Tokens (RFC 8935) to SET_RECEIVERS: one row per
 * event and receiver (its id the SET's `jti`), the token made and signed with the current key at
 * each attempt. 2xx is delivered (RFC 8935 answers 202); network errors, timeouts, 5xx, 408 and
 * 429 are retried by the outbox with backoff; other 4xx (the receiver refused the SET) are final.
 */
@Injectable()
export class SetChannel implements OutboxChannel<SetPayload>, OnModuleInit {
  readonly name = SET_CHANNEL;
  readonly enabled: boolean;
  readonly maxAttempts: number;
  readonly retryDelayMs: number;
  private readonly timeoutMs: number;
  private readonly issuer: string;

  constructor(
    config: ConfigService<AppConfig, true>,
    private readonly outbox: Outbox,
    private readonly keys: SigningKeys,
  ) {
    const webhook = config.get('webhook', { infer: true });
    this.enabled = config.get('sets', { infer: true }).receivers.length > 0;
    [this.maxAttempts, this.retryDelayMs, this.timeoutMs] = [
      webhook.maxAttempts,
      webhook.retryDelayMs,
      webhook.timeoutMs,
    ];
    this.issuer = config.get('auth', { infer: true }).issuer;
  }

  onModuleInit(): void {
    this.outbox.register(this);
  }

  describe(p: SetPayload): string {
    return `${p.kind} to ${new URL(p.receiver).host}`;
  }

  async deliver({ id, payload, signal }: Delivery<SetPayload>): Promise<void> {
    // Wall-clock time, not the injectable Clock: `iat` is read by other services' clocks.
    const token = this.keys.sign(setClaims(payload, { issuer: this.issuer, jti: id, now: Date.now() }), {
      typ: SET_TYP,
    });
    const res = await fetch(payload.receiver, {
      method: 'POST',
      body: token,
      headers: {
        'content-type': 'application/secevent+jwt',
        accept: 'application/json',
        'user-agent': 'device-sessions-set',
      },
      redirect: 'error',
      signal: AbortSignal.any([signal, AbortSignal.timeout(this.timeoutMs)]),
    });
    await res.arrayBuffer().catch(() => undefined);
    if (res.ok) return;
    if (res.status < 500 && res.status !== 408 && res.status !== 429) throw new FinalFailure(`HTTP ${res.status}`);
    throw new Error(`HTTP ${res.status}`);
  }
}
