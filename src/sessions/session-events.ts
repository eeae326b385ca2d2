import { Injectable } from '@nestjs/common';
import { EventEmitter2 } from '@nestjs/event-emitter';
import type { EntityManager } from 'typeorm';
import { newId } from '../common/random.js';
import { AfterCommit } from '../database/after-commit.js';
import { Outbox } from '../outbox/outbox.js';
import type { SessionResponse } from './dto/session.response.js';
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
  constructor(
    private readonly emitter: EventEmitter2,
    private readonly outbox: Outbox,
    private readonly afterCommit: AfterCommit,
  ) {}

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
    if (sessionIds.length > 0)
      await this.publish<SessionRevokedEvent>(SESSION_REVOKED, now, { userId, sessionIds, reason }, em);
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
