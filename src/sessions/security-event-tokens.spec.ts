import { CAEP_CREDENTIAL_CHANGE, CAEP_SESSION_REVOKED, setClaims } from './security-event-tokens.js';

describe('setClaims', () => {
  const at = Date.UTC(2026, 0, 2, 3, 4, 5, 678);
  const ctx = { issuer: 'https://auth.example', jti: 'j-1', now: at + 1500 };

  it('names the user and the session of a session-revoked event, with who ended it and why', () => {
    expect(
      setClaims(
        { receiver: 'https://rs.example/e', kind: 'session_revoked', userId: 'u', sessionId: 's', reason: 'admin', at },
        ctx,
      ),
    ).toEqual({
      iss: 'https://auth.example',
      iat: Math.floor((at + 1500) / 1000),
      jti: 'j-1',
      aud: 'https://rs.example/e',
      sub_id: { format: 'complex', user: { format: 'opaque', id: 'u' }, session: { format: 'opaque', id: 's' } },
      events: {
        [CAEP_SESSION_REVOKED]: {
          event_timestamp: Math.floor(at / 1000),
          initiating_entity: 'admin',
          reason_admin: { en: 'admin' },
        },
      },
    });
  });

  it.each([
    ['remote_logout', 'user'],
    ['refresh_reuse', 'policy'],
    ['session_limit', 'policy'],
    ['client_revoke', 'system'],
    ['reported', 'user'],
  ] as const)('a %s ending was initiated by the %s', (reason, entity) => {
    const c = setClaims({ receiver: 'r', kind: 'session_revoked', userId: 'u', sessionId: 's', reason, at }, ctx);
    expect(c.events[CAEP_SESSION_REVOKED].initiating_entity).toBe(entity);
  });

  it('names the user only for a credential change', () => {
    const c = setClaims({ receiver: 'r', kind: 'credential_change', userId: 'u', reason: 'password_reset', at }, ctx);
    expect(c.sub_id).toEqual({ format: 'complex', user: { format: 'opaque', id: 'u' } });
    expect(c.events).toEqual({
      [CAEP_CREDENTIAL_CHANGE]: {
        event_timestamp: Math.floor(at / 1000),
        initiating_entity: 'user',
        reason_admin: { en: 'password_reset' },
        credential_type: 'password',
        change_type: 'update',
      },
    });
  });
});
