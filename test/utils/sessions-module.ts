import { ConfigService } from '@nestjs/config';
import { Test, type TestingModule } from '@nestjs/testing';
import { Clock } from '../../src/common/clock.js';
import { loadConfig } from '../../src/config/configuration.js';
import { AfterCommit } from '../../src/database/after-commit.js';
import { TransactionRunner } from '../../src/database/transaction-runner.js';
import { AccessTokenSigner } from '../../src/sessions/access-token-signer.js';
import { GeoLocator } from '../../src/sessions/geo-locator.js';
import { RefreshRotation } from '../../src/sessions/refresh-rotation.js';
import { RefreshTokenCodec } from '../../src/sessions/refresh-token.js';
import { SessionCheck } from '../../src/sessions/session-check.js';
import { SessionEndingsLog } from '../../src/sessions/session-endings.js';
import { SessionEvents } from '../../src/sessions/session-events.js';
import { SessionLocations } from '../../src/sessions/session-locations.js';
import { SessionStore } from '../../src/sessions/session-store.js';
import type { SessionEntity } from '../../src/sessions/session.entity.js';
import { SessionsRepository } from '../../src/sessions/sessions.repository.js';
import { SessionsService } from '../../src/sessions/sessions.service.js';
import { NoValidityCache, ValidityCache } from '../../src/sessions/validity-cache.js';
import { UsersService } from '../../src/users/users.service.js';
import { FakeClock } from './fake-clock.js';

export const NOW = 1_800_000_000_000;
/** The default SESSION_IDLE_TTL, in ms. */
export const IDLE = 1_209_600_000;

export const config = loadConfig({ JWT_SECRET: 'x'.repeat(32) });

/** A live session row (generation 3) for the unit specs of the session services. */
export const sessionRow = (over: Partial<SessionEntity> = {}): SessionEntity =>
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

export interface SessionsUnit {
  module: TestingModule;
  repo: jest.Mocked<SessionsRepository>;
  users: { profile: jest.Mock };
  clock: FakeClock;
}

/**
 * The sessions module's services, real, over a mocked repository (no cache, no transactions):
 * for unit specs of their own rules.
 */
export async function sessionsUnit(): Promise<SessionsUnit> {
  const clock = new FakeClock(NOW);
  const module = await Test.createTestingModule({
    providers: [
      SessionCheck,
      RefreshRotation,
      SessionsService,
      SessionStore,
      SessionLocations,
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
          profile: jest.fn((u: { createdAt: number }) => ({
            ...u,
            roles: ['user'],
            createdAt: new Date(u.createdAt).toISOString(),
          })),
        },
      },
      // A transaction that is only a token: the repository and events are mocks.
      {
        provide: TransactionRunner,
        useValue: { run: (work: (em: object) => Promise<unknown>) => work({}), manager: {} },
      },
      { provide: SessionEndingsLog, useValue: { append: jest.fn(), prune: jest.fn().mockResolvedValue(0) } },
      { provide: Clock, useValue: clock },
      { provide: GeoLocator, useValue: { lookup: () => null } },
      { provide: ValidityCache, useValue: new NoValidityCache() },
      { provide: AfterCommit, useValue: { run: (_em: unknown, work: () => Promise<void>) => work() } },
      { provide: SessionEvents, useValue: { created: jest.fn(), revoked: jest.fn(), refreshReuse: jest.fn() } },
      { provide: RefreshTokenCodec, useValue: new RefreshTokenCodec(config.auth.refreshKey) },
      { provide: AccessTokenSigner, useValue: { sign: jest.fn(() => 'signed') } },
      { provide: ConfigService, useValue: { get: (key: 'auth' | 'session') => config[key] } },
    ],
  }).compile();
  return { module, repo: module.get(SessionsRepository), users: module.get(UsersService), clock };
}
