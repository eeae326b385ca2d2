/** A confidential client of the introspection and revocation endpoints (INTROSPECTION_CLIENTS). */
export interface OAuthClient {
  id: string;
  secret: string;
}

/** RFC 3986 unreserved characters: an id needs no encoding in a Basic header (RFC 6749 §2.3.1). */
const CLIENT_ID = /^[A-Za-z0-9._~-]{1,100}$/;
export const MIN_CLIENT_SECRET = 32;
const MAX_CLIENT_SECRET = 512;

/**
 * INTROSPECTION_CLIENTS: comma-separated `client_id:secret`, each secret at least 32 characters,
 * no id twice; empty: none. The refusal names the entry by its id (or position), never the secret.
 */
export function parseOAuthClients(value: string): { clients: OAuthClient[] } | { error: string } {
  const clients: OAuthClient[] = [];
  const entries = value
    .split(',')
    .map((e) => e.trim())
    .filter(Boolean);
  for (const [i, entry] of entries.entries()) {
    const colon = entry.indexOf(':');
    const id = colon === -1 ? '' : entry.slice(0, colon);
    const secret = colon === -1 ? '' : entry.slice(colon + 1);
    if (!CLIENT_ID.test(id))
      return { error: `entry ${i + 1} must be client_id:secret, the id of letters, digits and . _ ~ - (1 to 100)` };
    if (secret.length < MIN_CLIENT_SECRET || secret.length > MAX_CLIENT_SECRET || /\s/.test(secret))
      return {
        error: `the secret of client "${id}" must be ${MIN_CLIENT_SECRET} to ${MAX_CLIENT_SECRET} characters, no spaces`,
      };
    if (clients.some((c) => c.id === id)) return { error: `client "${id}" is listed twice` };
    clients.push({ id, secret });
  }
  return { clients };
}
