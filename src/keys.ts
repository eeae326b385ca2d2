import { runCli, UsageError } from './cli.js';
import type { AppConfig } from './config/configuration.js';
import { KeyRotation, UnknownKeyError } from './keys/key-rotation.js';
import { KeyRotationModule } from './keys/keys.module.js';

const USAGE = 'usage: npm run keys -- rotate | list | revoke <kid>';

const iso = (ms: number | null) => (ms === null ? '-' : new Date(ms).toISOString());

async function run(keys: KeyRotation, config: AppConfig, [command, kid, ...rest]: string[]): Promise<string> {
  if (config.keys.algorithm === 'HS256' && command !== 'list')
    throw new Error('JWT_ALGORITHM=HS256 signs with JWT_SECRET: there are no keys to rotate or revoke');
  if (command === 'rotate' && !kid) {
    const { kid: made, activatesAt, started } = await keys.rotate();
    return `${started ? 'rotation started' : 'a rotation is already under way'}: ${made} is published and signs from ${iso(activatesAt)}`;
  }
  if (command === 'revoke' && kid && rest.length === 0) {
    const { revoked, replacedBy } = await keys.revoke(kid);
    if (!revoked) return `already revoked: ${kid}`;
    return `revoked: ${kid}; its tokens are refused on every instance within ${Math.ceil(config.keys.pollMs / 1000)} s${
      replacedBy ? `; ${replacedBy} signs from now` : ''
    }`;
  }
  if (command === 'list' && !kid) {
    const rows = await keys.list(config.auth.accessTokenTtl * 1000);
    const lines = rows.map(({ key, state }) =>
      [
        key.kid,
        key.alg,
        state,
        `created ${iso(key.createdAt)}`,
        `signs ${iso(key.activatesAt)}`,
        `retires ${iso(key.retiresAt)}`,
        `revoked ${iso(key.revokedAt)}`,
      ].join('\t'),
    );
    return lines.join('\n') || '(no keys)';
  }
  throw new UsageError(USAGE);
}

/**
 * `npm run keys -- rotate | list | revoke <kid>`: the signing keys of the configured database,
 * with the service's own environment (DATABASE_URL, JWT_SECRET, JWT_ALGORITHM, REDIS_URL, …).
 * A change reaches every instance at once through Redis where it is set, else at their next poll.
 */
runCli({
  name: 'keys',
  imports: [KeyRotationModule],
  // Errors only: the commands print what they did themselves.
  logger: ['error'],
  refuse: () =>
    process.env.JWT_SECRET ? undefined : 'JWT_SECRET must be set: the private keys are encrypted under it',
  run: (app, config, args) => run(app.get(KeyRotation), config, args),
  exitCode: (e) => (e instanceof UnknownKeyError ? 3 : 1),
});
