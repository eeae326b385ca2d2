import { randomInt } from 'node:crypto';

let next = randomInt(0, 60_000);
/**
 * A fresh client address on every call (198.18.0.0/15, the benchmarking range), so per-IP
 * counters never carry over between tests: a random pick from a /24 collided often enough to flake.
 */
export const randomIp = () => {
  next = (next + 1) % 131_072;
  return `198.${18 + (next >> 16)}.${(next >> 8) & 255}.${next & 255}`;
};

export function expect429(res: { status: number; headers: Record<string, string>; body: unknown }): void {
  expect(res.status).toBe(429);
  expect(Number(res.headers['retry-after'])).toBeGreaterThanOrEqual(1);
  expect(res.body).toEqual({
    statusCode: 429,
    code: 'rate_limited',
    error: 'Too Many Requests',
    message: expect.any(String),
  });
}
