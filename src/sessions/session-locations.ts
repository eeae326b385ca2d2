import { Injectable } from '@nestjs/common';
import { TransactionRunner } from '../database/transaction-runner.js';
import { normalizeIp } from './device.js';
import { GeoLocator } from './geo-locator.js';
import { SessionEvents, type SessionWhereabouts } from './session-events.js';
import { SessionStore } from './session-store.js';
import type { SessionEntity } from './session.entity.js';
import { SessionsRepository } from './sessions.repository.js';

type LastAddress = Pick<SessionEntity, 'lastIpAddress' | 'lastCountry' | 'lastRegion' | 'lastCity'>;

const whereabouts = (a: LastAddress): SessionWhereabouts => ({
  ipAddress: a.lastIpAddress,
  location:
    a.lastCountry !== null || a.lastRegion !== null || a.lastCity !== null
      ? { country: a.lastCountry, region: a.lastRegion, city: a.lastCity }
      : null,
});

/**
 * Where a session has been, the one home of it: `lastIpAddress` and `lastLocation` start as the
 * login's and move when a refresh (RefreshRotation), or an authenticated request (with the
 * last-activity write, so at most once a minute per session: SessionCheck), comes from another
 * address. A move to another country — both known — emits `session.location_changed`.
 */
@Injectable()
export class SessionLocations {
  constructor(
    private readonly sessions: SessionsRepository,
    private readonly store: SessionStore,
    private readonly geo: GeoLocator,
    private readonly events: SessionEvents,
    private readonly tx: TransactionRunner,
  ) {}

  /** Whether `ip` is another address than `last` (so `moved` has work to do). */
  static differs(ip: string | undefined, last: string | null | undefined): boolean {
    const address = normalizeIp(ip);
    return address !== null && address !== last;
  }

  /**
   * The session was just used from `ip`: when that is another address than its last, the row
   * moves (a compare-and-set, so of instances moving it together one does, and one event goes
   * out, through the outbox in the move's transaction) and the session is evicted from the
   * caches, whose GET /v1/auth/me shows the address.
   */
  async moved(userId: string, sessionId: string, ip: string | undefined, now: number): Promise<void> {
    const address = normalizeIp(ip);
    if (address === null) return;
    const prev = await this.sessions.lastAddress(sessionId, userId);
    if (!prev || prev.lastIpAddress === address) return;
    const place = this.geo.lookup(address);
    const next: LastAddress = {
      lastIpAddress: address,
      lastCountry: place?.country ?? null,
      lastRegion: place?.region ?? null,
      lastCity: place?.city ?? null,
    };
    const countryChanged =
      prev.lastCountry !== null && next.lastCountry !== null && prev.lastCountry !== next.lastCountry;
    const moved = await this.tx.run(async (em) => {
      if (!(await this.sessions.moveLastAddress(sessionId, userId, prev.lastIpAddress, next, em))) return false;
      if (countryChanged)
        await this.events.locationChanged(userId, sessionId, whereabouts(prev), whereabouts(next), now, em);
      return true;
    });
    if (moved) await this.store.evictSession(userId, sessionId, false);
  }
}
