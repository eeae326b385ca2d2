import { Injectable } from '@nestjs/common';
import { EventEmitter2 } from '@nestjs/event-emitter';
import { newId } from '../common/random.js';
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

/**
 * Publishes security events in-process (@nestjs/event-emitter). Listeners must return at
 * once and never throw: emit() runs them synchronously inside the request that caused the event.
 */
@Injectable()
export class SessionEvents {
  constructor(private readonly emitter: EventEmitter2) {}

  private publish<E extends SessionEvent>(type: E['type'], now: number, data: E['data']): void {
    this.emitter.emit(type, { id: newId(), type, occurredAt: new Date(now).toISOString(), data });
  }

  created(userId: string, newDevice: boolean, session: SessionResponse, now: number): void {
    this.publish<SessionCreatedEvent>(SESSION_CREATED, now, { userId, newDevice, session });
  }

  revoked(userId: string, sessionIds: string[], reason: EndReason, now: number): void {
    if (sessionIds.length > 0) this.publish<SessionRevokedEvent>(SESSION_REVOKED, now, { userId, sessionIds, reason });
  }

  refreshReuse(userId: string, sessionId: string, now: number): void {
    this.publish<SessionRefreshReuseEvent>(SESSION_REFRESH_REUSE, now, { userId, sessionId });
  }

  locationChanged(userId: string, sessionId: string, from: SessionWhereabouts, to: SessionWhereabouts, now: number) {
    this.publish<SessionLocationChangedEvent>(SESSION_LOCATION_CHANGED, now, { userId, sessionId, from, to });
  }
}
