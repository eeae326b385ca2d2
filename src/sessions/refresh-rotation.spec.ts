import { UnauthorizedException } from '@nestjs/common';
import { config, IDLE, NOW, sessionRow as session, sessionsUnit } from '../../test/utils/sessions-module.js';
import { RefreshRotation } from './refresh-rotation.js';
import { RefreshTokenCodec } from './refresh-token.js';
import type { SessionEntity } from './session.entity.js';
import type { SessionsRepository } from './sessions.repository.js';

describe('RefreshRotation', () => {
  let service: RefreshRotation;
  let repo: jest.Mocked<SessionsRepository>;
  const codec = new RefreshTokenCodec(config.auth.refreshKey);

  beforeEach(async () => {
    const unit = await sessionsUnit();
    service = unit.module.get(RefreshRotation);
    ({ repo } = unit);
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
        // The ending's own transaction (a token in this unit test), which also holds its event.
        {},
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
