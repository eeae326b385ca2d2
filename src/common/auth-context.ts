/** What the per-request session check leaves on the request. */
export interface AuthContext {
  userId: string;
  sessionId: string;
}
