import { CanActivate, ExecutionContext, createParamDecorator, Injectable } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { createHash, timingSafeEqual } from 'node:crypto';
import { apiError, withChallenge } from '../../common/api-error.js';
import type { AppConfig } from '../../config/configuration.js';

/** The challenge of a failed client authentication (RFC 6749 §5.2, RFC 7617). */
export const BASIC_CHALLENGE = 'Basic realm="device-sessions", charset="UTF-8"';

const BASIC = /^basic +([A-Za-z0-9+/]+={0,2})$/i;
const MAX_HEADER = 2048;

type ClientRequest = { headers: Record<string, string | string[] | undefined>; oauthClient?: string };

const digest = (s: string) => createHash('sha256').update(s, 'utf8').digest();

/** RFC 6749 §2.3.1: id and secret are form-encoded before Basic; clients that skip it are read as they sent. */
function formDecoded(s: string): string {
  try {
    return decodeURIComponent(s.replace(/\+/g, ' '));
  } catch {
    return s;
  }
}

/**
 * HTTP Basic client authentication of the OAuth endpoints (introspection, revocation) against
 * INTROSPECTION_CLIENTS; the client's id is left on the request (`@OAuthClientId()`). Secrets are
 * compared as SHA-256 digests in constant time, and an unknown id costs the same comparison. With
 * no client configured the endpoints do not exist (404).
 */
@Injectable()
export class OAuthClientGuard implements CanActivate {
  private readonly clients: Map<string, Buffer>;
  private readonly decoy = digest('no such client');

  constructor(config: ConfigService<AppConfig, true>) {
    this.clients = new Map(config.get('oauth', { infer: true }).clients.map((c) => [c.id, digest(c.secret)]));
  }

  canActivate(context: ExecutionContext): boolean {
    if (this.clients.size === 0) throw apiError(404, 'not_found', 'Not found');
    const request = context.switchToHttp().getRequest<ClientRequest>();
    const id = this.authenticate(request.headers.authorization);
    if (id === null)
      throw withChallenge(apiError(401, 'invalid_client', 'Client authentication failed'), BASIC_CHALLENGE);
    request.oauthClient = id;
    return true;
  }

  /** The client id when the header names a configured client and its secret; else null. */
  private authenticate(header: string | string[] | undefined): string | null {
    if (typeof header !== 'string' || header.length > MAX_HEADER) return null;
    const b64 = BASIC.exec(header.trim())?.[1];
    if (!b64) return null;
    const pair = Buffer.from(b64, 'base64').toString('utf8');
    const colon = pair.indexOf(':');
    if (colon === -1) return null;
    const [rawId, rawSecret] = [pair.slice(0, colon), pair.slice(colon + 1)];
    const candidates: [string, string][] = [[rawId, rawSecret]];
    const [decodedId, decodedSecret] = [formDecoded(rawId), formDecoded(rawSecret)];
    if (decodedId !== rawId || decodedSecret !== rawSecret) candidates.push([decodedId, decodedSecret]);
    let found: string | null = null;
    for (const [id, secret] of candidates) {
      const expected = this.clients.get(id);
      const match = timingSafeEqual(digest(secret), expected ?? this.decoy) && expected !== undefined;
      if (match) found = id;
    }
    return found;
  }
}

/** The OAuth client OAuthClientGuard authenticated. */
export const OAuthClientId = createParamDecorator(
  (_: unknown, ctx: ExecutionContext): string => ctx.switchToHttp().getRequest<ClientRequest>().oauthClient!,
);
