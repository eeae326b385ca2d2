import { randomInt } from 'node:crypto';

/** A fresh client address per test, so per-IP counters never carry over between tests. */
export const randomIp = () => `203.0.113.${randomInt(1, 255)}`;

export function expect429(res: { status: number; headers: Record<string, string>; body: unknown }): void {
  expect(res.status).toBe(429);
  expect(Number(res.headers['retry-after'])).toBeGreaterThanOrEqual(1);
  expect(res.body).toEqual({ statusCode: 429, error: 'Too Many Requests', message: expect.any(String) });
}
