import { SessionCheck } from '../../src/sessions/session-check.js';
import type { TestApp } from './create-test-app.js';

/** A session's stored `last_active_at` (epoch ms). */
export async function storedLastActive(t: TestApp, sessionId: string): Promise<number> {
  const [row] = await t.dataSource.query('SELECT last_active_at AS v FROM sessions WHERE id = ?', [sessionId]);
  return Number(row.v);
}

/** Writes the `last_active_at` touches queued so far (they are batched behind the requests). */
export function flushTouches(t: TestApp): Promise<void> {
  return t.get(SessionCheck).flushActivity();
}
