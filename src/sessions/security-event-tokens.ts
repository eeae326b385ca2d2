import { type EndReason, initiatedBy, type InitiatingEntity } from './session-policy.js';

/** CAEP 1.0 event types. */
export const CAEP_SESSION_REVOKED = 'https://schemas.openid.net/secevent/caep/event-type/session-revoked';
export const CAEP_CREDENTIAL_CHANGE = 'https://schemas.openid.net/secevent/caep/event-type/credential-change';

/** The outbox channel that pushes SETs (src/events/set.channel.ts); named here so that sessions need not import events. */
export const SET_CHANNEL = 'set';

/** RFC 8417 §2.3: the `typ` header of a SET. */
export const SET_TYP = 'secevent+jwt';

/** RFC 9493 `opaque` and `complex` subject identifiers. */
type Opaque = { format: 'opaque'; id: string };
export type SubjectId = { format: 'complex'; user: Opaque; session?: Opaque };

/** One SET's event: what happened, why (the end reason), and who started it. */
interface SetEvent {
  event_timestamp: number;
  initiating_entity: InitiatingEntity;
  reason_admin: { en: string };
  credential_type?: 'password';
  change_type?: 'update';
}

/** The claims of a Security Event Token (RFC 8417) as we push it. */
export interface SetClaims {
  iss: string;
  iat: number;
  jti: string;
  aud: string;
  sub_id: SubjectId;
  events: Record<string, SetEvent>;
}

/**
 * What the outbox keeps of a SET until it is delivered: the event, not the token. The token is
 * made at delivery (SetChannel), signed with the key current then, so a retry after a rotation
 * still verifies from the JWKS; the row's id is its `jti`.
 */
export type SetPayload =
  | { receiver: string; kind: 'session_revoked'; userId: string; sessionId: string; reason: EndReason; at: number }
  | {
      receiver: string;
      kind: 'credential_change';
      userId: string;
      reason: 'password_change' | 'password_reset';
      at: number;
    };

const seconds = (ms: number) => Math.floor(ms / 1000);
const opaque = (id: string): Opaque => ({ format: 'opaque', id });

/**
 * The claims of one payload's SET (SPEC "Other services"): `iss`, `iat`, `jti`, `aud` (the
 * receiver's URL), `sub_id` (the user, and for a session event the session), and one CAEP event
 * with its timestamp, initiating entity and the end reason.
 */
export function setClaims(
  p: SetPayload,
  { issuer, jti, now }: { issuer: string; jti: string; now: number },
): SetClaims {
  const base = {
    event_timestamp: seconds(p.at),
    initiating_entity: initiatedBy(p.reason),
    reason_admin: { en: p.reason },
  };
  const common = { iss: issuer, iat: seconds(now), jti, aud: p.receiver };
  if (p.kind === 'session_revoked')
    return {
      ...common,
      sub_id: { format: 'complex', user: opaque(p.userId), session: opaque(p.sessionId) },
      events: { [CAEP_SESSION_REVOKED]: base },
    };
  return {
    ...common,
    sub_id: { format: 'complex', user: opaque(p.userId) },
    events: { [CAEP_CREDENTIAL_CHANGE]: { ...base, credential_type: 'password', change_type: 'update' } },
  };
}
