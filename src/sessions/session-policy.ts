/**
 * When a session is dead, and what its ending reads as: the one home of these rules. Pure
 * functions and constants (no Nest, no database): the per-request check, the validity cache,
 * refresh rotation, the listings and the SQL that ends and sweeps sessions all ask here.
 */

/** What the API shows of a session's state (`status`). */
export const SESSION_STATUSES = ['active', 'logged_out', 'revoked', 'expired'] as const;
export type SessionStatus = (typeof SESSION_STATUSES)[number];

/**
 * Every reason a session can end, and the status it reads as; a new reason is one line here.
 * The `logged_out` column is set exactly for the reasons that read `logged_out` (the user ended
 * the session, on this device or another), `token_deleted` for every one.
 */
const END_STATUS = {
  logout: 'logged_out',
  remote_logout: 'logged_out',
  logout_all: 'logged_out',
  password_change: 'logged_out',
  refresh_reuse: 'revoked',
  admin: 'revoked',
  expired: 'expired',
  session_limit: 'revoked',
  password_reset: 'logged_out',
  reported: 'revoked',
  account_deleted: 'logged_out',
  client_revoke: 'revoked',
} as const satisfies Record<string, Exclude<SessionStatus, 'active'>>;

export type EndReason = keyof typeof END_STATUS;
export const END_REASONS = Object.keys(END_STATUS) as EndReason[];

/** Who ended a session, as CAEP's `initiating_entity` names it (the SETs pushed to other services). */
export type InitiatingEntity = 'user' | 'admin' | 'policy' | 'system';

/** Who each end reason's ending was started by: the user, an operator, a rule of ours, or another system. */
const INITIATED_BY: Record<EndReason, InitiatingEntity> = {
  logout: 'user',
  remote_logout: 'user',
  logout_all: 'user',
  password_change: 'user',
  refresh_reuse: 'policy',
  admin: 'admin',
  expired: 'policy',
  session_limit: 'policy',
  password_reset: 'user',
  reported: 'user',
  account_deleted: 'user',
  client_revoke: 'system',
};

export const initiatedBy = (reason: EndReason): InitiatingEntity => INITIATED_BY[reason];

/** Whether an ending sets `logged_out`: the user chose it. */
export const isLoggedOut = (reason: EndReason): boolean => END_STATUS[reason] === 'logged_out';

/**
 * Recent authentication (ASVS 5.0 7.5.2): whether a session that proved the password at
 * `authenticatedAt` (its login, or a reauthentication) may still do what needs a fresh proof —
 * end another session, delete the account — at `now`.
 */
export const recentlyAuthenticated = (authenticatedAt: number, now: number, maxAgeMs: number): boolean =>
  now - authenticatedAt < maxAgeMs;

/** A session's two time limits: absolute (`expiresAt`) and idle (`lastActiveAt` + the idle TTL). */
export interface SessionTimes {
  expiresAt: number;
  lastActiveAt: number;
}

/** What validity() reads of a session row. */
export interface SessionState extends SessionTimes {
  tokenDeleted: boolean;
  loggedOut: boolean;
}

/** The moment a session passed its absolute or idle limit, or null while it is within both at `now`. */
export function expiredAt(s: SessionTimes, now: number, idleMs: number): number | null {
  const at = Math.min(s.expiresAt, s.lastActiveAt + idleMs);
  return now >= at ? at : null;
}

export type Validity =
  { readonly state: 'live' } | { readonly state: 'ended' } | { readonly state: 'expired'; at: number };
// Shared answers: judging a live session allocates nothing.
const LIVE: Validity = Object.freeze({ state: 'live' });
const ENDED: Validity = Object.freeze({ state: 'ended' });

/**
 * A session row at `now`: `ended` when it is absent or an ending was stored, `expired` (with the
 * moment) when it is flagged live but past a limit, else `live`.
 */
export function validity(s: SessionState | null | undefined, now: number, idleMs: number): Validity {
  if (!s || s.tokenDeleted || s.loggedOut) return ENDED;
  const at = expiredAt(s, now, idleMs);
  return at === null ? LIVE : { state: 'expired', at };
}

/** validity() is `live`, as a type guard. */
export const isLive = <S extends SessionState>(s: S | null | undefined, now: number, idleMs: number): s is S =>
  validity(s, now, idleMs) === LIVE;

/**
 * How a session reads in the API: its stored ending, or, flagged live past a limit, expired as the sweep will store it.
 */
export function shownEnding(
  s: SessionTimes & { tokenDeleted: boolean; endedAt: number | null; endReason: EndReason | null },
  now: number,
  idleMs: number,
): { status: SessionStatus; endedAt: number | null; endReason: EndReason | null } {
  if (s.endReason !== null) return { status: END_STATUS[s.endReason], endedAt: s.endedAt, endReason: s.endReason };
  const at = s.tokenDeleted ? null : expiredAt(s, now, idleMs);
  return at === null
    ? { status: 'active', endedAt: s.endedAt, endReason: null }
    : { status: 'expired', endedAt: at, endReason: 'expired' };
}

/** "Live at `now`" for SQL: the cut-off the idle limit gives. */
export interface ActiveWindow {
  now: number;
  idleCutoff: number;
}

export const activeWindow = (now: number, idleMs: number): ActiveWindow => ({ now, idleCutoff: now - idleMs });

/**
 * validity() in SQL, for a table alias (`'s.'`, or `''` in an UPDATE); the named parameters come
 * from liveParams(). `logged_out` is only ever set together with `token_deleted`, so
 * `token_deleted` alone decides (the indexes lead with it).
 */
export const liveSql = (t = '') =>
  `${t}token_deleted = :no AND ${t}expires_at > :now AND ${t}last_active_at > :idleCutoff`;

/** Flagged live but past a limit: the rows the sweep stores as expired. */
export const pastLimitsSql = (t = '') =>
  `${t}token_deleted = :no AND (${t}expires_at <= :now OR ${t}last_active_at <= :idleCutoff)`;

export const liveParams = (w: ActiveWindow) => ({ no: false, now: w.now, idleCutoff: w.idleCutoff });

/** expiredAt() in SQL, for a row past its limits; `:idle` is the idle TTL in ms. */
export const EXPIRED_AT_SQL =
  'CASE WHEN expires_at <= last_active_at + :idle THEN expires_at ELSE last_active_at + :idle END';
