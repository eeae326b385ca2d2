import { ServiceUnavailableException, UnauthorizedException } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { Test } from '@nestjs/testing';
import { FakeClock } from '../../test/utils/fake-clock.js';
import { Clock } from '../common/clock.js';
import { loadConfig } from '../config/configuration.js';
import { TransactionRunner } from '../database/transaction-runner.js';
import { UsersService } from '../users/users.service.js';
import { GeoLocator } from './geo-locator.js';
import { RefreshTokenCodec } from './refresh-token.js';
import { SessionEvents } from './session-events.js';
import { AfterCommit } from '../database/after-commit.js';
import { SessionStore } from './session-store.js';
import { NoValidityCache, ValidityCache } from './validity-cache.js';
import type { SessionEntity } from './session.entity.js';
import { SessionsRepository } from './sessions.repository.js';
import { SessionsService, TOUCH_INTERVAL_MS } from './sessions.service.js';

const NOW = 1_800_000_000_000;
const IDLE = 1_209_600_000;

describe('SessionsService', () => {
  let service: SessionsService;
  let repo: jest.Mocked<SessionsRepository>;
  let users: { profile: jest.Mock };
  let clock: FakeClock;
  const config = loadConfig({ JWT_SECRET: 'x'.repeat(32) });
  const codec = new RefreshTokenCodec(config.auth.refreshKey);

  const session = (over: Partial<SessionEntity> = {}): SessionEntity =>
    ({
      id: '0b6f7c1e-3d5a-4a8e-9f0e-1c2d3e4f5a6b',
      userId: 'user-1',
      tokenDeleted: false,
      loggedOut: false,
      createdAt: NOW - 1000,
      lastActiveAt: NOW - 1000,
      expiresAt: NOW + 1_000_000,
      refreshSeed: 'seed',
      refreshGeneration: 3,
      refreshedAt: NOW - 1000,
      refreshTokenHash: 'h',
      endedAt: null,
      endReason: null,
      ...over,
    }) as SessionEntity;

  beforeEach(async () => {
    clock = new FakeClock(NOW);
    const module = await Test.createTestingModule({
      providers: [
        SessionsService,
        {
          provide: SessionsRepository,
          useValue: {
            findForAuth: jest.fn(),
            touchLastActive: jest.fn().mockResolvedValue(1),
            markExpired: jest.fn().mockResolvedValue(undefined),
            findById: jest.fn(),
            rotateRefresh: jest.fn(),
            end: jest.fn().mockResolvedValue(1),
            idsEndedAt: jest.fn().mockResolvedValue([]),
          },
        },
        {
          provide: UsersService,
          useValue: {
            onProfileChange: jest.fn(),
            profile: jest.fn((u: { createdAt: number }) => ({
              ...u,
              roles: ['user'],
              createdAt: new Date(u.createdAt).toISOString(),
            })),
          },
        },
        { provide: TransactionRunner, useValue: {} },
        { provide: Clock, useValue: clock },
        { provide: GeoLocator, useValue: { lookup: () => null } },
        SessionStore,
        { provide: ValidityCache, useValue: new NoValidityCache() },
        { provide: AfterCommit, useValue: { run: (_em: unknown, work: () => Promise<void>) => work() } },
        { provide: SessionEvents, useValue: { created: jest.fn(), revoked: jest.fn(), refreshReuse: jest.fn() } },
        { provide: ConfigService, useValue: { get: (key: 'auth' | 'session') => config[key] } },
      ],
    }).compile();
    service = module.get(SessionsService);
    repo = module.get(SessionsRepository);
    users = module.get(UsersService);
  });

  describe('validate (the per-request check)', () => {
    const { display, user } = {
      display: { ...session(), id: 's' },
      user: { id: 'user-1', email: 'a@example.com', name: null, createdAt: NOW - 5000 },
    };
    const row = (over = {}) => ({
      userId: 'user-1',
      tokenDeleted: false,
      loggedOut: false,
      expiresAt: NOW + 1000,
      lastActiveAt: NOW - 1000,
      display,
      user,
      ...over,
    });

    it('accepts a live session of the token’s user without writing, keeping what it read for GET /v1/auth/me', async () => {
      repo.findForAuth.mockResolvedValue(row());
      const auth = await service.validate('user-1', 's');
      expect(auth).toEqual({
        userId: 'user-1',
        sessionId: 's',
        session: { userId: 'user-1', expiresAt: NOW + 1000, lastActiveAt: NOW - 1000, touchAskedAt: 0 },
        read: row(),
      });
      expect(repo.touchLastActive).not.toHaveBeenCalled();
    });

    it('renders GET /v1/auth/me once per session, then splices in only lastActiveAt', async () => {
      repo.findForAuth.mockResolvedValue(
        row({ display: { ...display, deviceName: 'lastActiveAt "\u0000lastActiveAt\u0000"' } }),
      );
      const auth = await service.validate('user-1', 's');
      const first = JSON.parse(await service.me(auth));
      expect(first).toEqual({
        user: { ...user, roles: ['user'], createdAt: new Date(user.createdAt).toISOString() },
        session: expect.objectContaining({
          id: 's',
          current: true,
          status: 'active',
          deviceName: 'lastActiveAt "\u0000lastActiveAt\u0000"',
          lastActiveAt: new Date(NOW - 1000).toISOString(),
          expiresAt: new Date(NOW + 1000).toISOString(),
          endedAt: null,
        }),
      });
      auth.session!.lastActiveAt = NOW;
      const second = JSON.parse(await service.me(auth));
      expect(second).toEqual({ ...first, session: { ...first.session, lastActiveAt: new Date(NOW).toISOString() } });
      expect(users.profile).toHaveBeenCalledTimes(1);
      expect(repo.findForAuth).toHaveBeenCalledTimes(1);
    });

    it('GET /v1/auth/me without the row (a cache hit before the first /me, or no context) reads it once, and is 401 when it ended', async () => {
      repo.findForAuth.mockResolvedValue(row());
      const cached = { userId: 'user-1', expiresAt: NOW + 1000, lastActiveAt: NOW - 1000, touchAskedAt: 0 };
      expect(JSON.parse(await service.me({ userId: 'user-1', sessionId: 's', session: cached })).session.id).toBe('s');
      expect(repo.findForAuth).toHaveBeenCalledTimes(1);
      await service.me({ userId: 'user-1', sessionId: 's', session: cached });
      expect(repo.findForAuth).toHaveBeenCalledTimes(1);
      expect(JSON.parse(await service.me({ userId: 'user-1', sessionId: 's' })).session.id).toBe('s');
      repo.findForAuth.mockResolvedValue(row({ loggedOut: true }));
      await expect(service.me({ userId: 'user-1', sessionId: 's' })).rejects.toBeInstanceOf(UnauthorizedException);
    });

    it('GET /v1/auth/me answers 503, not 500, when its own read cannot reach the database', async () => {
      repo.findForAuth.mockRejectedValue(Object.assign(new Error('Pool is closed.'), { code: 'POOL_CLOSED' }));
      await expect(service.me({ userId: 'user-1', sessionId: 's' })).rejects.toBeInstanceOf(
        ServiceUnavailableException,
      );
    });

    it.each([
      ['missing', null],
      ['another user’s', row({ userId: 'user-2' })],
      ['token_deleted', row({ tokenDeleted: true })],
      ['logged_out', row({ loggedOut: true })],
    ])('rejects a %s session with 401', async (_, r) => {
      repo.findForAuth.mockResolvedValue(r);
      await expect(service.validate('user-1', 's')).rejects.toBeInstanceOf(UnauthorizedException);
    });

    it('rejects and marks a session past its absolute expiry', async () => {
      repo.findForAuth.mockResolvedValue(row({ expiresAt: NOW }));
      await expect(service.validate('user-1', 's')).rejects.toBeInstanceOf(UnauthorizedException);
      expect(repo.markExpired).toHaveBeenCalledWith('s', NOW);
    });

    it('rejects and marks a session idle for SESSION_IDLE_TTL, at the moment it went idle', async () => {
      repo.findForAuth.mockResolvedValue(row({ lastActiveAt: NOW - IDLE, expiresAt: NOW + 10 * IDLE }));
      await expect(service.validate('user-1', 's')).rejects.toBeInstanceOf(UnauthorizedException);
      expect(repo.markExpired).toHaveBeenCalledWith('s', NOW);
    });

    it('touches last_active_at only when it is a minute old', async () => {
      repo.findForAuth.mockResolvedValue(row({ lastActiveAt: NOW - TOUCH_INTERVAL_MS + 1 }));
      await service.validate('user-1', 's');
      expect(repo.touchLastActive).not.toHaveBeenCalled();
      repo.findForAuth.mockResolvedValue(row({ lastActiveAt: NOW - TOUCH_INTERVAL_MS }));
      const auth = await service.validate('user-1', 's');
      expect(repo.touchLastActive).not.toHaveBeenCalled(); // queued, off the request path
      await service.flushActivity();
      expect(repo.touchLastActive).toHaveBeenCalledWith(['s'], NOW, NOW - TOUCH_INTERVAL_MS);
      expect(auth.session!.lastActiveAt).toBe(NOW);
    });

    it('answers 503, not 401, when the database cannot be reached', async () => {
      repo.findForAuth.mockRejectedValue(Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }));
      await expect(service.validate('user-1', 's')).rejects.toBeInstanceOf(ServiceUnavailableException);
    });

    it('does not fail the request when the background touch fails', async () => {
      repo.findForAuth.mockResolvedValue(row({ lastActiveAt: NOW - 2 * TOUCH_INTERVAL_MS }));
      repo.touchLastActive.mockRejectedValue(new Error('lock wait timeout'));
      const auth = await service.validate('user-1', 's');
      await expect(service.flushActivity()).resolves.toBeUndefined();
      expect(repo.touchLastActive).toHaveBeenCalledTimes(1);
      expect(auth.session!.lastActiveAt).toBe(NOW - 2 * TOUCH_INTERVAL_MS);
    });
  });

  describe('rotate (refresh)', () => {
    const tokenFor = (s: SessionEntity, generation: number) => codec.issue(s.id, generation, s.refreshSeed);

    it('advances the current generation with a compare-and-set on the hash', async () => {
      const s = session();
      repo.findById.mockResolvedValue(s);
      repo.rotateRefresh.mockResolvedValue(true);
      const issued = await service.rotate(tokenFor(s, 3));
      expect(issued).toMatchObject({ generation: 4, issuedAt: NOW, refreshToken: tokenFor(s, 4) });
      expect(repo.rotateRefresh).toHaveBeenCalledWith(s.id, 'h', {
        hash: RefreshTokenCodec.hash(tokenFor(s, 4)),
        generation: 4,
        now: NOW,
      });
    });

    it('gives the loser of a race the winner’s pair', async () => {
      const s = session();
      repo.findById.mockResolvedValueOnce(s).mockResolvedValueOnce(session({ refreshGeneration: 4, refreshedAt: NOW }));
      repo.rotateRefresh.mockResolvedValue(false);
      await expect(service.rotate(tokenFor(s, 3))).resolves.toMatchObject({ generation: 4, issuedAt: NOW });
    });

    it('answers the previous generation inside the grace with the current one, unchanged', async () => {
      const s = session({ refreshedAt: NOW - 10_000 });
      repo.findById.mockResolvedValue(s);
      await expect(service.rotate(tokenFor(s, 2))).resolves.toMatchObject({ generation: 3, issuedAt: NOW - 10_000 });
      expect(repo.rotateRefresh).not.toHaveBeenCalled();
      expect(repo.end).not.toHaveBeenCalled();
    });

    it.each([
      ['the previous generation after the grace', 2, NOW - 10_001],
      ['an older generation inside the grace', 1, NOW - 1],
    ])('ends the session for %s', async (_, generation, refreshedAt) => {
      const s = session({ refreshedAt });
      repo.findById.mockResolvedValue(s);
      await expect(service.rotate(tokenFor(s, generation))).rejects.toBeInstanceOf(UnauthorizedException);
      expect(repo.end).toHaveBeenCalledWith(
        { userId: 'user-1', ids: [s.id] },
        'refresh_reuse',
        false,
        { now: NOW, idleCutoff: NOW - IDLE },
        undefined,
      );
    });

    it('refuses a token with a bad MAC without ending the session', async () => {
      const s = session();
      repo.findById.mockResolvedValue(s);
      await expect(service.rotate(codec.issue(s.id, 3, 'another seed'))).rejects.toBeInstanceOf(UnauthorizedException);
      expect(repo.end).not.toHaveBeenCalled();
      expect(repo.rotateRefresh).not.toHaveBeenCalled();
    });

    it('refuses an expired session and marks it', async () => {
      const s = session({ expiresAt: NOW - 5 });
      repo.findById.mockResolvedValue(s);
      await expect(service.rotate(tokenFor(s, 3))).rejects.toBeInstanceOf(UnauthorizedException);
      expect(repo.markExpired).toHaveBeenCalledWith(s.id, NOW - 5);
    });
  });
});
