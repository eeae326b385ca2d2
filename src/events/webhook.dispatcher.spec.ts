import { Logger } from '@nestjs/common';
import type { ConfigService } from '@nestjs/config';
import { createServer, Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { AppConfig } from '../config/configuration.js';
import type { SessionEvent } from '../sessions/session-events.js';
import { WebhookDispatcher } from './webhook.dispatcher.js';

const event = (id: string): SessionEvent => ({
  id,
  type: 'session.refresh_reuse',
  occurredAt: new Date(0).toISOString(),
  data: { userId: 'u', sessionId: 's' },
});

/** A receiver that never answers, so deliveries stay in flight. */
async function hungReceiver() {
  const ids: string[] = [];
  const waiting: (() => void)[] = [];
  const server: Server = createServer((req) => {
    ids.push(String(req.headers['x-device-sessions-delivery']));
    waiting.splice(0).forEach((w) => w());
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/`,
    ids,
    nextArrival: () => new Promise<void>((r) => waiting.push(r)),
    close: () => {
      server.closeAllConnections();
      return new Promise<void>((r) => server.close(() => r()));
    },
  };
}

function dispatcher(url: string, maxPending = 1000) {
  const config = {
    get: () => ({ url, secret: 'x'.repeat(16), timeoutMs: 200, maxAttempts: 3, retryDelayMs: 10 }),
  } as unknown as ConfigService<AppConfig, true>;
  const d = new WebhookDispatcher(config);
  (d as unknown as { maxPending: number }).maxPending = maxPending;
  return d;
}

describe('WebhookDispatcher', () => {
  let warn: jest.SpyInstance;
  beforeEach(() => {
    warn = jest.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
  });
  afterEach(() => warn.mockRestore());

  it('drops events beyond the backlog bound instead of queueing them, and says so', async () => {
    const receiver = await hungReceiver();
    const d = dispatcher(receiver.url, 1);
    const first = receiver.nextArrival();
    d.handle(event('e1'));
    await first;
    d.handle(event('e2'));
    expect(warn).toHaveBeenCalledWith('webhook backlog full: dropped session.refresh_reuse e2');
    await d.onApplicationShutdown();
    // e1 may have been retried after its timeout; e2 never went out.
    expect(new Set(receiver.ids)).toEqual(new Set(['e1']));
    await receiver.close();
  });

  it('at shutdown waits one timeout for deliveries in flight, then abandons them and stops retrying', async () => {
    const receiver = await hungReceiver();
    const d = dispatcher(receiver.url);
    const first = receiver.nextArrival();
    d.handle(event('e1'));
    await first;
    await d.onApplicationShutdown();
    const arrivedAtShutdown = receiver.ids.length;
    d.handle(event('e2'));
    expect(receiver.ids.length).toBe(arrivedAtShutdown);
    expect(receiver.ids).not.toContain('e2');
    await receiver.close();
  });

  it('does nothing without WEBHOOK_URL', async () => {
    const d = dispatcher('');
    d.handle(event('e1'));
    await d.onApplicationShutdown();
    expect(warn).not.toHaveBeenCalled();
  });
});
