import { runBuilt as run } from './utils/built-service.js';

const base = { PORT: '0', DATABASE_URL: 'sqlite::memory:', LOG_LEVEL: 'info' };

/** Bad configuration stops the real process with one clear line naming the variable (ASVS 14.1.x, 2.10.4). */
describe('configuration at start (built dist/src/main.js)', () => {
  it.each([
    [
      'production without JWT_SECRET',
      { NODE_ENV: 'production' },
      'Invalid configuration: JWT_SECRET: JWT_SECRET must be set when NODE_ENV=production',
    ],
    [
      'production with a 31-character JWT_SECRET',
      { NODE_ENV: 'production', JWT_SECRET: 'x'.repeat(31) },
      'Invalid configuration: JWT_SECRET: JWT_SECRET must be at least 32 characters',
    ],
    [
      'production with 32 spaces as JWT_SECRET',
      { NODE_ENV: 'production', JWT_SECRET: ' '.repeat(32) },
      'Invalid configuration: JWT_SECRET: JWT_SECRET must not be blank: use at least 32 random characters',
    ],
    [
      'production with aaaa… as JWT_SECRET',
      { NODE_ENV: 'production', JWT_SECRET: 'a'.repeat(64) },
      'Invalid configuration: JWT_SECRET: JWT_SECRET is one character repeated',
    ],
    [
      'production with a low-entropy JWT_SECRET',
      { NODE_ENV: 'production', JWT_SECRET: 'abcd'.repeat(8) },
      'Invalid configuration: JWT_SECRET: JWT_SECRET has fewer than 8 distinct characters',
    ],
    ['a non-numeric PORT', { PORT: 'eighty' }, 'Invalid configuration: PORT:'],
    ['a bad DATABASE_URL', { DATABASE_URL: 'postgres://x/y' }, 'Invalid configuration: DATABASE_URL:'],
    ['a bad TRUST_PROXY', { TRUST_PROXY: 'maybe' }, 'Invalid configuration: TRUST_PROXY:'],
  ])(
    'refuses to start with %s: exit 1 and one line on stderr',
    async (_, env, line) => {
      const { code, stderr } = await run({ ...base, ...env });
      expect(code).toBe(1);
      const lines = stderr.trim().split('\n');
      expect(lines).toHaveLength(1);
      expect(lines[0]).toContain(line);
      expect(stderr).not.toMatch(/at .*\.js|Error:/);
    },
    30_000,
  );

  it('starts in production with a random 32-character secret (so the refusals above are down to the secret)', async () => {
    const secret = 'k7Qp2xR9vL4mZ8tW1nB6cY3hJ5sD0fGa';
    const { stdout } = await run(
      { ...base, NODE_ENV: 'production', JWT_SECRET: secret },
      { until: /device-sessions listening/ },
    );
    expect(stdout).toMatch(/device-sessions listening/);
    expect(stdout).not.toContain(secret);
  }, 30_000);
});
