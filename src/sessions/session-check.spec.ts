import { Logger, ServiceUnavailableException, UnauthorizedException } from '@nestjs/common';
import { IDLE, NOW, sessionRow as session, sessionsUnit } from '../../test/utils/sessions-module.js';
import { SessionCheck, TOUCH_INTERVAL_MS } from './session-check.js';
import type { SessionsRepository } from './sessions.repository.js';

describe('SessionCheck', () => {
  let service: SessionCheck;
  let repo: jest.Mocked<SessionsRepository>;
  let users: { profile: jest.Mock };

  beforeEach(async () => {
    const unit = await sessionsUnit();
    service = unit.module.get(SessionCheck);
    ({ repo, users } = unit);
  });

  describe('validate (the per-request check)', () => {
    const { display, user } = {
      display: { ...session(), id: 's' },
      user: {
        id: 'user-1',
        email: 'a@example.com',
        name: null,
        emailVerifiedAt: null,
        createdAt: NOW - 5000,
        grantedRoles: [] as string[],
      },
    };
    const row = (over = {}) => ({
      userId: 'user-1',
      tokenDeleted: false,
      loggedOut: false,
      expiresAt: NOW + 1000,
      lastActiveAt: NOW - 1000,
      lastIpAddress: null,
      display,
      user,
      ...over,
    });

    it(
      'accepts a live session of the token’s user without writing, keeping what it read for GET ' + '/v1/auth/me',
      async () => {
        repo.findForAuth.mockResolvedValue(row());
        const auth = await service.validate('user-1', 's');
        expect(auth).toEqual({
          userId: 'user-1',
          sessionId: 's',
          session: { userId: 'user-1', expiresAt: NOW + 1000, lastActiveAt: NOW - 1000, touchAskedAt: 0, lastIp: null },
          read: row(),
        });
        expect(repo.touchLastActive).not.toHaveBeenCalled();
      },
    );

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

    it(
      'GET /v1/auth/me without the row (a cache hit before the first /me, or no context) reads it once, and ' +
        'is 401 when it ended',
      async () => {
        repo.findForAuth.mockResolvedValue(row());
        const cached = { userId: 'user-1', expiresAt: NOW + 1000, lastActiveAt: NOW - 1000, touchAskedAt: 0 };
        expect(JSON.parse(await service.me({ userId: 'user-1', sessionId: 's', session: cached })).session.id).toBe(
          's',
        );
        expect(repo.findForAuth).toHaveBeenCalledTimes(1);
        await service.me({ userId: 'user-1', sessionId: 's', session: cached });
        expect(repo.findForAuth).toHaveBeenCalledTimes(1);
        expect(JSON.parse(await service.me({ userId: 'user-1', sessionId: 's' })).session.id).toBe('s');
        repo.findForAuth.mockResolvedValue(row({ loggedOut: true }));
        await expect(service.me({ userId: 'user-1', sessionId: 's' })).rejects.toBeInstanceOf(UnauthorizedException);
      },
    );

    it('GET /v1/auth/me answers 503, not 500, when its own read cannot reach the database', async () => {
      repo.findForAuth.mockRejectedValue(Object.assign(new Error('Pool is closed.'), { code: 'POOL_CLOSED' }));
      const logged = jest.spyOn(Logger.prototype, 'error').mockImplementation(() => undefined);
      await expect(service.me({ userId: 'user-1', sessionId: 's' })).rejects.toBeInstanceOf(
        ServiceUnavailableException,
      );
      expect(logged).toHaveBeenCalledWith('session lookup failed: Pool is closed.');
      logged.mockRestore();
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
      const logged = jest.spyOn(Logger.prototype, 'error').mockImplementation(() => undefined);
      await expect(service.validate('user-1', 's')).rejects.toBeInstanceOf(ServiceUnavailableException);
      expect(logged).toHaveBeenCalledWith('session lookup failed: connect ECONNREFUSED');
      logged.mockRestore();
    });

    it('logs a failed statement without the value the database quoted', async () => {
      const failed = Object.assign(new Error("Incorrect string value: 's-secret-id' for column 'id' at row 1"), {
        code: 'ER_TRUNCATED_WRONG_VALUE_FOR_FIELD',
        sql: 'SELECT … WHERE s.id = ?',
        parameters: ['s-secret-id'],
      });
      repo.findForAuth.mockRejectedValue(failed);
      const logged = jest.spyOn(Logger.prototype, 'error').mockImplementation(() => undefined);
      await expect(service.validate('user-1', 's')).rejects.toBeInstanceOf(ServiceUnavailableException);
      expect(logged).toHaveBeenCalledWith(
        "session lookup failed: Incorrect string value: '…' for column 'id' at row 1",
      );
      logged.mockRestore();
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
});
