// (a)/(b): our built app (dist), started like src/main.ts (bench/launch.mjs sets its V8 settings first),
// plus one bench-only route, GET /bench/auth, that answers a small body from the request's AuthContext:
// the same global guard, strategy and session check as every route, without the body of /v1/auth/me.
import 'reflect-metadata';
import { Controller, Get, Req } from '@nestjs/common';
import { AppModule } from '../dist/src/app.module.js';
import { createApp } from '../dist/src/app.factory.js';
import { SessionCheck } from '../dist/src/sessions/session-check.js';

// (e), BENCH_SKIP_SESSION_CHECK=1: the same app with the session check replaced by "the token's claims
// are enough" — what our app costs without session-awareness, so (a) against (e) prices the check itself.
if (process.env.BENCH_SKIP_SESSION_CHECK === '1') {
  SessionCheck.prototype.validate = async function skipped(userId, sessionId) {
    return { userId, sessionId };
  };
}

class BenchAuthController {
  auth(req) {
    return { user: { id: req.user.userId }, session: { id: req.user.sessionId } };
  }
}
Req()(BenchAuthController.prototype, 'auth', 0);
Get('auth')(
  BenchAuthController.prototype,
  'auth',
  Object.getOwnPropertyDescriptor(BenchAuthController.prototype, 'auth'),
);
Controller('bench')(BenchAuthController);

const forRoot = AppModule.forRoot.bind(AppModule);
AppModule.forRoot = (options) => {
  const module = forRoot(options);
  return { ...module, controllers: [...(module.controllers ?? []), BenchAuthController] };
};

const app = await createApp();
await app.listen({ port: Number(process.env.PORT), host: '127.0.0.1' });
