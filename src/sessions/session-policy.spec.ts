import Database from 'better-sqlite3';
import {
  activeWindow,
  EXPIRED_AT_SQL,
  END_REASONS,
  expiredAt,
  isLive,
  isLoggedOut,
  liveParams,
  liveSql,
  pastLimitsSql,
  recentlyAuthenticated,
  type SessionState,
  shownEnding,
  validity,
} from './session-policy.js';

const NOW = 1_800_000_000_000;
const IDLE = 1_000;
const live = (over: Partial<SessionState> = {}): SessionState => ({
  tokenDeleted: false,
  loggedOut: false,
  expiresAt: NOW + 10_000,
  lastActiveAt: NOW,
  ...over,
});

describe('session policy', () => {
  describe('validity', () => {
    it('is live within both limits, and ended when absent or an ending was stored', () => {
      expect(validity(live(), NOW, IDLE)).toEqual({ state: 'live' });
      expect(validity(null, NOW, IDLE)).toEqual({ state: 'ended' });
      expect(validity(undefined, NOW, IDLE)).toEqual({ state: 'ended' });
      expect(validity(live({ tokenDeleted: true }), NOW, IDLE)).toEqual({ state: 'ended' });
      expect(validity(live({ loggedOut: true }), NOW, IDLE)).toEqual({ state: 'ended' });
    });

    it('is expired at the absolute limit, with that moment', () => {
      const s = live({ expiresAt: NOW + 500 });
      expect(validity(s, NOW + 499, IDLE).state).toBe('live');
      expect(validity(s, NOW + 500, IDLE)).toEqual({ state: 'expired', at: NOW + 500 });
      expect(validity(s, NOW + 900, IDLE)).toEqual({ state: 'expired', at: NOW + 500 });
    });

    it('is expired at the idle limit, at the moment it went idle', () => {
      expect(validity(live(), NOW + IDLE - 1, IDLE).state).toBe('live');
      expect(validity(live(), NOW + 5 * IDLE, IDLE)).toEqual({ state: 'expired', at: NOW + IDLE });
    });

    it('an ending stored wins over the time limits', () => {
      expect(validity(live({ tokenDeleted: true, expiresAt: NOW - 1 }), NOW, IDLE)).toEqual({ state: 'ended' });
    });

    it('isLive agrees with validity', () => {
      expect(isLive(live(), NOW, IDLE)).toBe(true);
      expect(isLive(live(), NOW + IDLE, IDLE)).toBe(false);
      expect(isLive(live({ loggedOut: true }), NOW, IDLE)).toBe(false);
      expect(isLive(null, NOW, IDLE)).toBe(false);
    });

    it('expiredAt is the earlier limit once passed, null before', () => {
      expect(expiredAt({ expiresAt: NOW + 10, lastActiveAt: NOW }, NOW + 9, 20)).toBeNull();
      expect(expiredAt({ expiresAt: NOW + 10, lastActiveAt: NOW }, NOW + 10, 20)).toBe(NOW + 10);
      expect(expiredAt({ expiresAt: NOW + 30, lastActiveAt: NOW }, NOW + 25, 20)).toBe(NOW + 20);
    });
  });

  describe('end reasons', () => {
    it('recentlyAuthenticated: a proof counts for less than the max age', () => {
      expect(recentlyAuthenticated(NOW, NOW + 599_999, 600_000)).toBe(true);
      expect(recentlyAuthenticated(NOW, NOW + 600_000, 600_000)).toBe(false);
    });

    it('lists every reason in the API’s order', () => {
      expect(END_REASONS).toEqual([
        'logout',
        'remote_logout',
        'logout_all',
        'password_change',
        'refresh_reuse',
        'admin',
        'expired',
        'session_limit',
        'password_reset',
        'reported',
        'account_deleted',
        'client_revoke',
      ]);
    });

    it.each([
      ['logout', 'logged_out', true],
      ['remote_logout', 'logged_out', true],
      ['logout_all', 'logged_out', true],
      ['password_change', 'logged_out', true],
      ['refresh_reuse', 'revoked', false],
      ['admin', 'revoked', false],
      ['session_limit', 'revoked', false],
      ['expired', 'expired', false],
      ['password_reset', 'logged_out', true],
      ['reported', 'revoked', false],
      ['account_deleted', 'logged_out', true],
      ['client_revoke', 'revoked', false],
    ] as const)('%s reads %s, logged_out %s', (reason, status, loggedOut) => {
      expect(shownEnding({ ...live(), tokenDeleted: true, endedAt: NOW, endReason: reason }, NOW, IDLE)).toEqual({
        status,
        endedAt: NOW,
        endReason: reason,
      });
      expect(isLoggedOut(reason)).toBe(loggedOut);
    });
  });

  describe('shownEnding', () => {
    const row = (over = {}) => ({ ...live(), endedAt: null, endReason: null, ...over });

    it('is active while live', () => {
      expect(shownEnding(row(), NOW, IDLE)).toEqual({ status: 'active', endedAt: null, endReason: null });
    });

    it('reads a live-flagged row past a limit as expired at that moment, as the sweep will store it', () => {
      expect(shownEnding(row(), NOW + 3 * IDLE, IDLE)).toEqual({
        status: 'expired',
        endedAt: NOW + IDLE,
        endReason: 'expired',
      });
    });

    it('keeps a stored ending, whatever the time says', () => {
      expect(
        shownEnding(row({ tokenDeleted: true, endedAt: NOW - 5, endReason: 'admin' }), NOW + 9 * IDLE, IDLE),
      ).toEqual({ status: 'revoked', endedAt: NOW - 5, endReason: 'admin' });
    });
  });

  describe('SQL', () => {
    // The predicates run on a real (in-memory SQLite) table and must agree with validity() on every row.
    const rows: SessionState[] = [];
    for (const tokenDeleted of [false, true])
      for (const expiresAt of [NOW - 1, NOW, NOW + 1])
        for (const lastActiveAt of [NOW - IDLE - 1, NOW - IDLE, NOW - IDLE + 1, NOW])
          rows.push({ tokenDeleted, loggedOut: tokenDeleted, expiresAt, lastActiveAt });
    let db: Database.Database;
    beforeAll(() => {
      db = new Database(':memory:');
      db.exec('CREATE TABLE s (i INTEGER, token_deleted BOOLEAN, expires_at BIGINT, last_active_at BIGINT)');
      const insert = db.prepare('INSERT INTO s VALUES (?, ?, ?, ?)');
      rows.forEach((r, i) => insert.run(i, Number(r.tokenDeleted), r.expiresAt, r.lastActiveAt));
    });
    afterAll(() => db.close());
    const select = (where: string, extra: Record<string, number> = {}) => {
      const { no, ...params } = liveParams(activeWindow(NOW, IDLE));
      return db
        .prepare(`SELECT i FROM s WHERE ${where.replace(/:(\w+)/g, '@$1')} ORDER BY i`)
        .all({ no: Number(no), ...params, ...extra })
        .map((r) => (r as { i: number }).i);
    };
    const indexes = (keep: (r: SessionState) => boolean) => rows.flatMap((r, i) => (keep(r) ? [i] : []));

    it('"live" selects exactly the rows validity() calls live', () => {
      expect(indexes((r) => validity(r, NOW, IDLE).state === 'live').length).toBeGreaterThan(0);
      expect(select(liveSql())).toEqual(indexes((r) => validity(r, NOW, IDLE).state === 'live'));
      expect(select(liveSql('s.'))).toEqual(select(liveSql()));
    });

    it('"past its limits" selects exactly the rows validity() calls expired, and stores the same moment', () => {
      const expired = indexes((r) => validity(r, NOW, IDLE).state === 'expired');
      expect(select(pastLimitsSql())).toEqual(expired);
      const moments = db
        .prepare(`SELECT i, ${EXPIRED_AT_SQL.replace(/:idle/g, '@idle')} AS at FROM s ORDER BY i`)
        .all({ idle: IDLE }) as { i: number; at: number }[];
      for (const i of expired) expect(moments[i].at).toBe((validity(rows[i], NOW, IDLE) as { at: number }).at);
    });

    it('the window is the idle cut-off at now', () => {
      expect(activeWindow(NOW, IDLE)).toEqual({ now: NOW, idleCutoff: NOW - IDLE });
    });
  });
});
