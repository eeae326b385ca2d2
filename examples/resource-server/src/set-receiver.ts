import { errors, jwtVerify, type JWTPayload } from 'jose';
import type { EndedSessions } from './ended-sessions.js';
import { ALGORITHMS, type IssuerConfig, type JwksKeys } from './verifier.js';

/** CAEP event types (OpenID CAEP 1.0). */
export const SESSION_REVOKED = 'https://schemas.openid.net/secevent/caep/event-type/session-revoked';
export const CREDENTIAL_CHANGE = 'https://schemas.openid.net/secevent/caep/event-type/credential-change';

/** RFC 8935 §2.3: an error answer's `err`. */
export type SetError =
  'invalid_request' | 'invalid_key' | 'invalid_issuer' | 'invalid_audience' | 'authentication_failed';

export type SetOutcome =
  | { status: 202; events: string[]; sessionId?: string; duplicate: boolean }
  | { status: 400; err: SetError; description: string };

/** RFC 9493 subject identifiers: ours are `complex` with `user` and (for a session) `session`. */
interface SubjectId {
  format?: unknown;
  user?: { format?: unknown; id?: unknown };
  session?: { format?: unknown; id?: unknown };
}

/**
 * Receives Security Event Tokens pushed by device-sessions (RFC 8935): checks the signature
 * against the issuer's JWKS, `typ: secevent+jwt`, the issuer, and that the audience is this
 * receiver's own URL (a SET meant for another service is refused, not replayed here); then
 * records a `session-revoked` SET's session as ended. Delivery is at least once: a SET whose
 * `jti` was handled is acknowledged again and changes nothing.
 */
export class SetReceiver {
  constructor(
    private readonly keys: JwksKeys,
    private readonly config: IssuerConfig & { receiverUrl: string },
    private readonly ended: EndedSessions,
  ) {}

  async receive(set: string): Promise<SetOutcome> {
    let payload: JWTPayload;
    try {
      ({ payload } = await jwtVerify(set, this.keys, {
        issuer: this.config.issuer,
        audience: this.config.receiverUrl,
        algorithms: ALGORITHMS,
        typ: 'secevent+jwt',
        requiredClaims: ['iat', 'jti'],
      }));
    } catch (e) {
      return { status: 400, ...refusal(e) };
    }
    const events = payload.events;
    if (typeof events !== 'object' || events === null || Array.isArray(events) || typeof payload.jti !== 'string')
      return { status: 400, err: 'invalid_request', description: 'A SET needs jti and events' };
    const types = Object.keys(events);
    if (this.ended.isDuplicate(payload.jti)) return { status: 202, events: types, duplicate: true };
    let sessionId: string | undefined;
    if (types.includes(SESSION_REVOKED)) {
      // SPEC: sub_id at the top level; earlier CAEP drafts put `subject` inside the event.
      const event = (events as Record<string, { subject?: SubjectId }>)[SESSION_REVOKED];
      const subject: SubjectId | undefined = (payload.sub_id as SubjectId | undefined) ?? event?.subject;
      const id = subject?.session?.id;
      if (subject?.format !== 'complex' || typeof id !== 'string')
        return { status: 400, err: 'invalid_request', description: 'session-revoked without a session' };
      sessionId = id.toLowerCase();
    }
    this.ended.record(payload.jti, sessionId);
    return { status: 202, events: types, sessionId, duplicate: false };
  }
}

function refusal(e: unknown): { err: SetError; description: string } {
  if (e instanceof errors.JWTClaimValidationFailed) {
    if (e.claim === 'iss') return { err: 'invalid_issuer', description: 'Unexpected issuer' };
    if (e.claim === 'aud') return { err: 'invalid_audience', description: 'Not meant for this receiver' };
    return { err: 'invalid_request', description: `Bad claim: ${e.claim}` };
  }
  if (e instanceof errors.JWKSNoMatchingKey || e instanceof errors.JWSSignatureVerificationFailed)
    return { err: 'invalid_key', description: 'Signature does not verify with the issuer’s keys' };
  return { err: 'invalid_request', description: 'Not a SET of this issuer' };
}
