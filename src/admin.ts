import { EventEmitterModule } from '@nestjs/event-emitter';
import { runCli, UsageError } from './cli.js';
import { UsersModule } from './users/users.module.js';
import { UsersService } from './users/users.service.js';

const USAGE = 'usage: npm run admin -- grant <email> | revoke <email> | list';

async function run(users: UsersService, [command, email, ...rest]: string[]): Promise<string> {
  if ((command === 'grant' || command === 'revoke') && email && rest.length === 0) {
    if (command === 'grant') {
      const { userId, changed } = await users.grantAdmin(email);
      return `${changed ? 'granted' : 'already granted'}: admin to user ${userId}`;
    }
    const { userId, changed, stillAdmin } = await users.revokeAdmin(email);
    const note = stillAdmin ? ' (still admin: ADMIN_EMAILS lists its verified address)' : '';
    return `${changed ? 'revoked' : 'not granted'}: admin of user ${userId}${note}`;
  }
  if (command === 'list' && !email) {
    const admins = await users.listAdmins();
    return admins.map((a) => `${a.id}\t${a.email}\t${a.sources.join(',')}`).join('\n') || '(no admins)';
  }
  throw new UsageError(USAGE);
}

/**
 * `npm run admin -- grant <email> | revoke <email> | list`: an operator's way to hold the
 * `admin` role that needs no email, run against the configured database with the service's own
 * environment (DATABASE_URL, ADMIN_EMAILS, …). Roles take effect on the next admin request.
 */
runCli({
  name: 'admin',
  // UsersService tells of profile changes through the emitter; nothing listens here.
  imports: [EventEmitterModule.forRoot(), UsersModule],
  logger: ['error', 'warn'],
  run: (app, _config, args) => run(app.get(UsersService), args),
});
