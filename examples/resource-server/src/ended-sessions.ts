/**
 * What this service has heard of device-sessions' sessions: the ones that ended (from the
 * `session-revoked` SETs pushed to it) and the SET ids already handled. A session id never comes
 * back to life, so a token naming an ended session is refused whatever it says; an entry can go
 * once every token its session could have carried has expired (`forgetAfterMs`: at least the
 * issuer's longest access-token lifetime).
 */
export class EndedSessions {
  private readonly ended = new Map<string, number>();
  private readonly seen = new Map<string, number>();
  private lastPrune = 0;

  constructor(
    private readonly forgetAfterMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  /** Records a session as ended; false when this SET (by `jti`) was handled before. */
  record(setId: string, sessionId: string | undefined): boolean {
    const now = this.now();
    this.prune(now);
    if (this.seen.has(setId)) return false;
    this.seen.set(setId, now);
    if (sessionId !== undefined) this.ended.set(sessionId, now);
    return true;
  }

  /** Whether a SET with this `jti` was handled before (receivers deduplicate: delivery is at least once). */
  isDuplicate(setId: string): boolean {
    return this.seen.has(setId);
  }

  hasEnded(sessionId: string): boolean {
    return this.ended.has(sessionId);
  }

  get size(): number {
    return this.ended.size;
  }

  private prune(now: number): void {
    if (now - this.lastPrune < 60_000) return;
    this.lastPrune = now;
    const cutoff = now - this.forgetAfterMs;
    for (const map of [this.ended, this.seen]) for (const [k, at] of map) if (at < cutoff) map.delete(k);
  }
}
