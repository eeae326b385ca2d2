import type { Server as HttpServer } from 'node:http';
import { Server as NetServer, type Socket } from 'node:net';
import { performance } from 'node:perf_hooks';
import { setImmediate as nextTurn } from 'node:timers/promises';
import type { FastifyInstance } from 'fastify';
import { apiError } from './api-error.js';

/** The longest the drain waits for queued connections and for their first requests. */
const DRAIN_MAX_MS = 5000;

const installed = new WeakMap<HttpServer, GracefulShutdown>();

/**
 * A shutdown that answers every request that reached us. Node's `server.close()` resets the
 * connections the kernel has queued but the process has not accepted yet, and destroys accepted
 * ones whose request is not parsed yet (they count as idle): both carry requests sent before the
 * client could know we were going. So `drain()` first lets the event loop accept what is queued,
 * then stops listening (a refused connection is safe to retry anywhere), then waits for each
 * accepted connection's first request; those are served as usual, and every response from the
 * drain on closes its connection. After the drain (or from Fastify's preClose, when the app is
 * closed without one) a request still arriving on a kept-alive connection gets the API's own 503
 * with `Retry-After` and its `code` (Fastify's and Nest's `return503OnClosing` answer carries
 * neither), so that the app can close.
 */
export class GracefulShutdown {
  private draining = false;
  private closing = false;
  /** Accepted connections that have not sent a request yet. */
  private readonly silent = new Set<Socket>();
  private accepted = 0;
  private onSilentChange?: () => void;

  private constructor(private readonly server: HttpServer) {}

  static install(fastify: FastifyInstance): GracefulShutdown {
    const shutdown = new GracefulShutdown(fastify.server);
    fastify.server.on('connection', (socket: Socket) => {
      shutdown.accepted += 1;
      shutdown.silent.add(socket);
      socket.once('close', () => shutdown.heard(socket));
    });
    fastify.server.on('request', (request: { socket: Socket }) => shutdown.heard(request.socket));
    fastify.addHook('preClose', async () => {
      shutdown.closing = true;
    });
    fastify.addHook('onRequest', (_request, _reply, done) => {
      if (!shutdown.closing) return done();
      done(apiError(503, 'service_unavailable', 'The service is shutting down; retry the request', 1));
    });
    fastify.addHook('onSend', (_request, reply, payload, done) => {
      if (shutdown.draining || shutdown.closing) reply.header('connection', 'close');
      done(null, payload);
    });
    installed.set(fastify.server, shutdown);
    return shutdown;
  }

  static of(server: HttpServer): GracefulShutdown {
    const shutdown = installed.get(server);
    if (!shutdown) throw new Error('GracefulShutdown.install() was not called for this server');
    return shutdown;
  }

  /** Call before `app.close()`: at most DRAIN_MAX_MS. */
  async drain(): Promise<void> {
    this.draining = true;
    if (this.server.listening) await this.stopListening(performance.now() + DRAIN_MAX_MS);
    this.closing = true;
  }

  private async stopListening(deadline: number): Promise<void> {
    // libuv accepts one queued connection per event-loop turn on a busy loop: turn until a turn
    // accepts none.
    await nextTurn();
    for (let seen = -1; seen !== this.accepted && performance.now() < deadline;) {
      seen = this.accepted;
      await nextTurn();
    }
    // net's close, not http's: that one would destroy the connections still silent.
    NetServer.prototype.close.call(this.server);
    await new Promise<void>((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.onSilentChange = undefined;
        resolve();
      };
      const timer = setTimeout(done, Math.max(0, deadline - performance.now()));
      this.onSilentChange = () => this.silent.size === 0 && done();
      this.onSilentChange();
    });
  }

  private heard(socket: Socket): void {
    if (this.silent.delete(socket)) this.onSilentChange?.();
  }
}
