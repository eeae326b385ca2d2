import { createHash } from 'node:crypto';
import { BackgroundWork } from '../../src/common/background-work.js';
import { OutboxRelay } from '../../src/outbox/outbox-relay.js';
import type { TestApp } from './create-test-app.js';

export const PUBLIC_URL = 'https://accounts.example.test';

/**
 * Waits until the mails and lookups the last requests started in the background are done: the
 * background work (which may queue mails), then the outbox rounds that send what is due.
 */
export async function settle(t: TestApp): Promise<void> {
  await t.get(BackgroundWork).idle();
  await t.get(OutboxRelay).idle();
  await t.get(BackgroundWork).idle();
}

/** Every stored link token of the user, as the database holds it. */
export async function storedLinks(
  t: TestApp,
  userId: string,
): Promise<
  {
    purpose: string;
    tokenHash: string;
    sessionId: string | null;
    createdAt: number;
    expiresAt: number;
    usedAt: number | null;
  }[]
> {
  const rows = await t.dataSource.query(
    'SELECT purpose, token_hash, session_id, created_at, expires_at, used_at FROM link_tokens WHERE user_id = ? ' +
      'ORDER BY created_at, purpose',
    [userId],
  );
  return rows.map((r: Record<string, unknown>) => ({
    purpose: r.purpose,
    tokenHash: r.token_hash,
    sessionId: r.session_id,
    createdAt: Number(r.created_at),
    expiresAt: Number(r.expires_at),
    usedAt: r.used_at === null ? null : Number(r.used_at),
  }));
}

export const sha256 = (s: string) => createHash('sha256').update(s).digest('hex');

/** Every value of every row of link_tokens, as text: what a database dump would show of them. */
export async function dumpLinkTokens(t: TestApp): Promise<string> {
  return JSON.stringify(await t.dataSource.query('SELECT * FROM link_tokens'));
}
