import { ServiceUnavailableException, UnauthorizedException } from '@nestjs/common';
import type { ConfigService } from '@nestjs/config';
import jwt from 'jsonwebtoken';
import { createSecretKey } from 'node:crypto';
import { Strategy } from 'passport-jwt';
import type { AppConfig } from '../config/configuration.js';
import type { AccessTokenVerifier } from '../sessions/access-token-signer.js';
import type { SessionCheck } from '../sessions/session-check.js';
import { JwtStrategy } from './jwt.strategy.js';

const SECRET = 'unit-secret-that-is-long-enough-for-hs256-use';
const T0 = 1_700_000_000_000;
const auth = { jwtKey: createSecretKey(Buffer.from(SECRET)), issuer: 'device-sessions', audience: 'device-sessions' };
const sign = (claims: Record<string, unknown>) =>
  jwt.sign({ sub: 'u1', sid: 's1', iat: T0 / 1000, exp: T0 / 1000 + 900, ...claims }, SECRET, {
    algorithm: 'HS256',
    issuer: auth.issuer,
    audience: auth.audience,
  });

/**
 * One passport authenticate() call on a per-request copy of the strategy, as passport makes it; resolves with what it
 * ended in.
 */
function authenticate(
  strategy: JwtStrategy,
  token: string,
): Promise<{ success?: unknown; error?: unknown; fail?: unknown }> {
  return new Promise((resolve) => {
    const request = Object.create(strategy) as JwtStrategy & Record<string, unknown>;
    request.success = (user: unknown) => resolve({ success: user });
    request.error = (error: unknown) => resolve({ error });
    request.fail = (fail: unknown) => resolve({ fail });
    request.authenticate({ headers: { authorization: `Bearer ${token}` } });
  });
}

/** The strategy's own rules around the memo (VerifiedTokens); the session check is stubbed. */
describe('JwtStrategy', () => {
  let now: number;
  let validate: jest.Mock;
  let strategy: JwtStrategy;
  let verifier: jest.SpyInstance;

  beforeEach(() => {
    now = T0 + 1_000;
    validate = jest.fn((userId: string, sessionId: string) => Promise.resolve({ userId, sessionId }));
    const config = {
      get: (key: keyof AppConfig) => (key === 'auth' ? auth : { cacheSize: 100 }),
    } as unknown as ConfigService<AppConfig, true>;
    const hs256 = { keyed: false, trusts: () => true } as unknown as AccessTokenVerifier;
    strategy = new JwtStrategy({ validate } as unknown as SessionCheck, { now: () => now }, hs256, config);
    verifier = jest.spyOn(Strategy as unknown as { JwtVerifier: (...args: unknown[]) => void }, 'JwtVerifier');
  });
  afterEach(() => verifier.mockRestore());

  it('verifies a token once; later uses go to the session check alone', async () => {
    const token = sign({});
    expect(await authenticate(strategy, token)).toEqual({ success: { userId: 'u1', sessionId: 's1' } });
    expect(await authenticate(strategy, token)).toEqual({ success: { userId: 'u1', sessionId: 's1' } });
    expect(verifier).toHaveBeenCalledTimes(1);
    expect(validate).toHaveBeenCalledTimes(2);
  });

  it('refuses a remembered token at its exp, without asking the session', async () => {
    const token = sign({});
    await authenticate(strategy, token);
    now = T0 + 900_000; // exactly exp: still remembered, refused by the check
    const { error } = await authenticate(strategy, token);
    expect(error).toBeInstanceOf(UnauthorizedException);
    expect((error as Error).message).toBe('Token expired');
    expect(verifier).toHaveBeenCalledTimes(1);
    expect(validate).toHaveBeenCalledTimes(1);
  });

  it.each([
    ['no sid', { sid: undefined }],
    ['a sid that is not a string', { sid: 42 }],
    ['no sub', { sub: undefined }],
  ])('refuses a validly signed token with %s on every use, without asking the session', async (_, claims) => {
    const token = sign(claims);
    for (let k = 0; k < 2; k++) {
      const { error } = await authenticate(strategy, token);
      expect((error as Error).message).toBe('Malformed token');
    }
    expect(verifier).toHaveBeenCalledTimes(1);
    expect(validate).not.toHaveBeenCalled();
  });

  it("passes the session check's error on, for a remembered token too (a 503 stays a 503)", async () => {
    const token = sign({});
    await authenticate(strategy, token);
    const down = new ServiceUnavailableException('Session store unavailable');
    validate.mockRejectedValue(down);
    expect(await authenticate(strategy, token)).toEqual({ error: down });
    validate.mockRejectedValue(new UnauthorizedException('Session has ended'));
    expect(((await authenticate(strategy, token)).error as Error).message).toBe('Session has ended');
  });

  it('does not remember a token that failed verification', async () => {
    const [header, payload, signature] = sign({}).split('.');
    const forged = `${header}.${payload}.${signature[0] === 'A' ? 'B' : 'A'}${signature.slice(1)}`;
    for (let k = 0; k < 2; k++) expect(await authenticate(strategy, forged)).toEqual({ fail: expect.anything() });
    expect(verifier).toHaveBeenCalledTimes(2);
    expect(validate).not.toHaveBeenCalled();
  });

  describe('with ES256/EdDSA keys (AccessTokenVerifier)', () => {
    let trusted: boolean;
    let verify: jest.Mock;

    beforeEach(() => {
      trusted = true;
      verify = jest.fn(() => Promise.resolve({ sub: 'u1', sid: 's1', exp: T0 / 1000 + 900, kid: 'k1' }));
      const keyed = { keyed: true, verify, trusts: () => trusted } as unknown as AccessTokenVerifier;
      const config = {
        get: (key: keyof AppConfig) => (key === 'auth' ? auth : { cacheSize: 100 }),
      } as unknown as ConfigService<AppConfig, true>;
      strategy = new JwtStrategy({ validate } as unknown as SessionCheck, { now: () => now }, keyed, config);
    });

    it('verifies once; a remembered token is refused once its key is no longer trusted (revoked)', async () => {
      const token = sign({});
      expect(await authenticate(strategy, token)).toEqual({ success: { userId: 'u1', sessionId: 's1' } });
      expect(await authenticate(strategy, token)).toEqual({ success: { userId: 'u1', sessionId: 's1' } });
      expect(verify).toHaveBeenCalledTimes(1);
      trusted = false;
      const { error } = await authenticate(strategy, token);
      expect(error).toBeInstanceOf(UnauthorizedException);
      expect(validate).toHaveBeenCalledTimes(2);
      expect(verifier).not.toHaveBeenCalled();
    });

    it("passes the verifier's refusal on and remembers nothing", async () => {
      const refusal = new UnauthorizedException('Invalid token');
      verify.mockRejectedValue(refusal);
      for (let k = 0; k < 2; k++) expect(await authenticate(strategy, sign({}))).toEqual({ error: refusal });
      expect(verify).toHaveBeenCalledTimes(2);
      expect(validate).not.toHaveBeenCalled();
    });
  });
});
