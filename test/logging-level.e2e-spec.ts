import { bearer, login, registerUser } from './factories/users.js';
import { captureLogs } from './utils/capture-logs.js';
import { createTestApp } from './utils/create-test-app.js';

it('honours LOG_LEVEL: at warn, successes are quiet and client errors are logged', async () => {
  const logs = captureLogs();
  const t = await createTestApp('sqlite', { LOG_LEVEL: 'warn' }, { logDestination: logs.stream });
  try {
    const user = await registerUser(t.http);
    const pair = await login(t.http, user);
    const ok = await t.http.get('/v1/auth/me').set('Authorization', bearer(pair)).expect(200);
    const denied = await t.http.get('/v1/auth/me').expect(401);
    const ids = logs.lines().map((l) => l.reqId);
    expect(ids).not.toContain(ok.headers['x-request-id']);
    expect(ids).toContain(denied.headers['x-request-id']);
    expect(logs.lines().every((l) => l.level >= 40)).toBe(true);
  } finally {
    await t.close();
  }
  // The app boots inside the test: on a loaded machine that takes longer than Jest's default 5 s.
}, 30_000);
