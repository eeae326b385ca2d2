import type { AuthContext } from '../common/auth-context.js';
import type { SessionAuthRow } from './sessions.repository.js';
import type { CachedSession } from './validity-lru.js';

/** What the per-request session check leaves on the request, beyond who it is. */
export interface CheckedSession extends AuthContext {
  /** What the check knows of the session (cached, or just read); GET /v1/auth/me answers from it. */
  session?: CachedSession;
  /** The row the check read, when it read one: the rest of what GET /v1/auth/me shows. */
  read?: SessionAuthRow;
}
