import { Injectable } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { EventEmitter2 } from '@nestjs/event-emitter';
import type { EntityManager } from 'typeorm';
import { newId } from '../common/random.js';
import type { AppConfig } from '../config/configuration.js';
import { AfterCommit } from '../database/after-commit.js';
import { Outbox } from '../outbox/outbox.js';
import type { SessionResponse } from './dto/session.response.js';
import { SET_CHANNEL, type SetPayload } from './security-event-tokens.js';
import type { EndReason } from './session-policy.js';

export const SESSION_CREATED = 'session.created';
export const SESSION_REVOKED = 'session.revoked';
export const SESSION_REFRESH_REUSE = 'session.refresh_reuse';
export const SESSION_LOCATION_CHANGED = 'session.location_changed';

interface Envelope<T extends string, D> {
  /** Unique per event; a retried delivery keeps it, so receivers can drop duplicates. */
  id: string;
  type: T;
  occurredAt: string;
  data: D;
}

export type SessionCreatedEvent = Envelope<
  typeof SESSION_CREATED,
  {
    userId: string;
    /** True when this user never logged in before with this browser + OS + device type (within the history kept). */
    newDevice: boolean;
    session: SessionResponse;
  }
>;
export type SessionRevokedEvent = Envelope<
  typeof SESSION_REVOKED,
  { userId: string; sessionIds: string[]; reason: EndReason }
>;
export type SessionRefreshReuseEvent = Envelope<typeof SESSION_REFRESH_REUSE, { userId: string; sessionId: string }>;
/** Where a session was used from: an address and its approximate location (as `Session.lastLocation`). */
export interface SessionWhereabouts {
  ipAddress: string | null;
  location: { country: string | null; region: string | null; city: string | null } | null;
}
export type SessionLocationChangedEvent = Envelope<
  typeof SESSION_LOCATION_CHANGED,
  { userId: string; sessionId: string; from: SessionWhereabouts; to: SessionWhereabouts }
>;
export type SessionEvent =
  SessionCreatedEvent | SessionRevokedEvent | SessionRefreshReuseEvent | SessionLocationChangedEvent;

/** The outbox channel of the webhook (src/events); named here so that sessions need not import events. */
const WEBHOOK = 'webhook';

/**
 * Publishes security events: each is written to the outbox in the transaction of the change
 * that caused it (`em`), so it is delivered (after the commit, durably) exactly when that change
 * committed; in process, it is emitted (@nestjs/event-emitter) after the commit, for listeners
 * that need no durability. A durable consumer is an outbox channel, not a listener.
 */
@Injectable()
export class SessionEvents {
  private readonly receivers: string[];

  constructor(
    private readonly emitter: EventEmitter2,
    private readonly outbox: Outbox,
    private readonly afterCommit: AfterCommit,
    config: ConfigService<AppConfig, true>,
  ) {
    this.receivers = config.get('sets', { infer: true }).receivers;
  }

  /**
   * The Security Event Tokens of one event, one outbox row per receiver (its id the SET's `jti`),
   * in the same transaction: the SETs leave exactly when the change committed.
   */
  private async pushSets(payload: (receiver: string) => SetPayload, em: EntityManager): Promise<void> {
    for (const receiver of this.receivers) await this.outbox.add(SET_CHANNEL, newId(), payload(receiver), em);
  }

  private async publish<E extends SessionEvent>(
    type: E['type'],
    now: number,
    data: E['data'],
    em: EntityManager,
  ): Promise<void> {
    const event = { id: newId(), type, occurredAt: new Date(now).toISOString(), data } as E;
    await this.outbox.add(WEBHOOK, event.id, event, em);
    await this.afterCommit.onCommit(em, async () => void this.emitter.emit(type, event));
  }

  created(userId: string, newDevice: boolean, session: SessionResponse, now: number, em: EntityManager): Promise<void> {
    return this.publish<SessionCreatedEvent>(SESSION_CREATED, now, { userId, newDevice, session }, em);
  }

  async revoked(
    userId: string,
    sessionIds: string[],
    reason: EndReason,
    now: number,
    em: EntityManager,
  ): Promise<void> {
    if (sessionIds.length === 0) return;
    await this.publish<SessionRevokedEvent>(SESSION_REVOKED, now, { userId, sessionIds, reason }, em);
    // CAEP session-revoked for every ending but expiry (which publishes no event at all).
    for (const sessionId of sessionIds)
      await this.pushSets(
        (receiver) => ({ receiver, kind: 'session_revoked', userId, sessionId, reason, at: now }),
        em,
      );
  }

  /** A new password (change or reset): CAEP credential-change, naming the user only. */
  credentialChanged(
    userId: string,
    reason: 'password_change' | 'password_reset',
    now: number,
    em: EntityManager,
  ): Promise<void> {
    return this.pushSets((receiver) => ({ receiver, kind: 'credential_change', userId, reason, at: now }), em);
  }

  refreshReuse(userId: string, sessionId: string, now: number, em: EntityManager): Promise<void> {
    return this.publish<SessionRefreshReuseEvent>(SESSION_REFRESH_REUSE, now, { userId, sessionId }, em);
  }

  locationChanged(
    userId: string,
    sessionId: string,
    from: SessionWhereabouts,
    to: SessionWhereabouts,
    now: number,
    em: EntityManager,
  ): Promise<void> {
    return this.publish<SessionLocationChangedEvent>(
      SESSION_LOCATION_CHANGED,
      now,
      { userId, sessionId, from, to },
      em,
    );
  }
}
