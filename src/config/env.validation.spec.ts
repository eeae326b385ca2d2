import { loadConfig } from './configuration.js';

describe('JWT_SECRET', () => {
  it('is required in production', () => {
    expect(() => loadConfig({ NODE_ENV: 'production' })).toThrow('Invalid configuration: JWT_SECRET: JWT_SECRET must be set when NODE_ENV=production');
  });

  it('must be long enough wherever it is set', () => {
    expect(() => loadConfig({ NODE_ENV: 'production', JWT_SECRET: 'short' })).toThrow('Invalid configuration: JWT_SECRET: JWT_SECRET must be at least 32 characters');
    expect(() => loadConfig({ JWT_SECRET: 'short' })).toThrow('JWT_SECRET must be at least 32 characters');
  });

  it('may be missing outside production (an ephemeral key is used)', () => {
    expect(loadConfig({}).auth.secretIsEphemeral).toBe(true);
    expect(loadConfig({ NODE_ENV: 'production', JWT_SECRET: 'x'.repeat(32) }).auth.secretIsEphemeral).toBe(false);
  });
});
