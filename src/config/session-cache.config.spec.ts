import { loadConfig } from './configuration.js';
import { ConfigValidationError } from './env.validation.js';

describe('session cache settings', () => {
  it('defaults: auto, 100,000 entries, a 3 s lease', () => {
    expect(loadConfig({}).session).toMatchObject({ cache: 'auto', cacheSize: 100_000, cacheLeaseMs: 3_000 });
  });

  it('reads SESSION_CACHE, SESSION_CACHE_SIZE and SESSION_CACHE_LEASE_MS', () => {
    const config = loadConfig({ SESSION_CACHE: 'local', SESSION_CACHE_SIZE: '5000', SESSION_CACHE_LEASE_MS: '1500' });
    expect(config.session).toMatchObject({ cache: 'local', cacheSize: 5000, cacheLeaseMs: 1500 });
  });

  it.each([
    ['SESSION_CACHE', 'always'],
    ['SESSION_CACHE_SIZE', '0'],
    ['SESSION_CACHE_SIZE', 'many'],
    ['SESSION_CACHE_LEASE_MS', '100'],
    ['SESSION_CACHE_LEASE_MS', '600000'],
    ['REDIS_URL', 'localhost:6379'],
  ])('rejects %s=%s with one line naming it', (name, value) => {
    expect(() => loadConfig({ [name]: value })).toThrow(ConfigValidationError);
    expect(() => loadConfig({ [name]: value })).toThrow(new RegExp(`^Invalid configuration: ${name}: `));
  });
});
