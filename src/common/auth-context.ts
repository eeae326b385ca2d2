import type { CachedSession } from '../sessions/session-cache.js';
import type { SessionAuthRow } from '../sessions/sessions.repository.js';

/** What the per-request session check leaves on the request. */
export interface AuthContext {
  userId: string;
  sessionId: string;
  /** What the check knows of the session (cached, or just read); GET /v1/auth/me answers from it. */
  session?: CachedSession;
  /** The row the check read, when it read one: the rest of what GET /v1/auth/me shows. */
  read?: SessionAuthRow;
}
