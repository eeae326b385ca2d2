/** Who made this request: the user and the session its access token names (left by the session check). */
export interface AuthContext {
  userId: string;
  sessionId: string;
}
