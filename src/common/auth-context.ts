import type { CachedSession } from '../sessions/session-cache.js';

/** What the per-request session check leaves on the request. */
export interface AuthContext {
  userId: string;
  sessionId: string;
  /** What the check read (or had cached) of the session and its user; GET /v1/auth/me answers from it. */
  session?: CachedSession;
}
