import { setTimeout as sleep } from 'node:timers/promises';
import { newId } from '../src/common/random.js';
import { TransactionRunner } from '../src/database/transaction-runner.js';
import { Outbox } from '../src/outbox/outbox.js';
import { OutboxRelay } from '../src/outbox/outbox-relay.js';
import { bearer, login, registerUser } from './factories/users.js';
import { captureLogs } from './utils/capture-logs.js';
import { startService } from './utils/built-service.js';
import { createTestApp, TEST_JWT_SECRET, type TestApp } from './utils/create-test-app.js';
import { mysqlUrlForWorker, testDatabases } from './utils/databases.js';
import { startReceiver } from './utils/webhook-receiver.js';

const SECRET = 'webhook-secret-for-tests';
const hook = (url: string, extra: Record<string, string> = {}) => ({
  WEBHOOK_URL: url,
  WEBHOOK_SECRET: SECRET,
  WEBHOOK_RETRY_DELAY_MS: '5',
  WEBHOOK_TIMEOUT_MS: '500',
  ...extra,
});
const event = (id: string) => ({
  id,
  type: 'session.refresh_reuse',
  occurredAt: '',
  data: { userId: 'u', sessionId: id },
});

describe.each(testDatabases)('the transactional outbox on %s', (db) => {
  let receiver: Awaited<ReturnType<typeof startReceiver>>;
  let t: TestApp;
  const logs = captureLogs();

  beforeAll(async () => {
    receiver = await startReceiver();
    t = await createTestApp(db, hook(receiver.url, { WEBHOOK_MAX_ATTEMPTS: '3', LOG_LEVEL: 'warn' }), {
      logDestination: logs.stream,
    });
  });
  afterAll(async () => {
    await t.close();
    await receiver.close();
  });
  const rows = (id: string) =>
    t.dataSource.query<{ state: string; attempts: number; last_error: string | null }[]>(
      'SELECT state, attempts, last_error FROM outbox WHERE id = ?',
      [id],
    );

  it('sends an event only once its transaction committed, and never one that rolled back', async () => {
    const tx = t.get(TransactionRunner);
    const outbox = t.get(Outbox);
    const [kept, dropped] = [newId(), newId()];
    await expect(
      tx.run(async (em) => {
        await outbox.add('webhook', dropped, event(dropped), em);
        throw new Error('the change failed');
      }),
    ).rejects.toThrow('the change failed');
    const sent = () => receiver.received.map((r) => JSON.parse(r.body).id as string);
    await tx.run(async (em) => {
      await outbox.add('webhook', kept, event(kept), em);
      await t.get(OutboxRelay).idle();
      expect(sent()).not.toContain(kept);
    });
    while (!sent().includes(kept)) await sleep(5);
    await t.get(OutboxRelay).idle();
    expect(sent().filter((id) => id === kept || id === dropped)).toEqual([kept]);
    expect(await rows(kept)).toEqual([{ state: 'delivered', attempts: 1, last_error: null }]);
    expect(await rows(dropped)).toEqual([]);
  });

  it('a revocation and its event commit together: the event names the ended session', async () => {
    const user = await registerUser(t.http);
    const [a, b] = [await login(t.http, user), await login(t.http, user)];
    const before = receiver.received.length;
    await t.http.delete(`/v1/sessions/${b.sessionId}`).set('Authorization', bearer(a)).expect(204);
    await t.get(OutboxRelay).idle();
    const revoked = receiver.received
      .slice(before)
      .map((r) => JSON.parse(r.body))
      .filter((e) => e.type === 'session.revoked');
    expect(revoked).toEqual([
      expect.objectContaining({ data: expect.objectContaining({ sessionIds: [b.sessionId] }) }),
    ]);
  });

  it('retries with backoff up to WEBHOOK_MAX_ATTEMPTS, then keeps the row as failed and logs it', async () => {
    const id = newId();
    const before = receiver.received.length;
    receiver.replies.push(500, 503, 500);
    await t.get(TransactionRunner).run((em) => t.get(Outbox).add('webhook', id, event(id), em));
    await receiver.waitFor(before + 3);
    while ((await rows(id))[0]?.state !== 'failed') await sleep(10);
    expect(await rows(id)).toEqual([{ state: 'failed', attempts: 3, last_error: 'HTTP 500' }]);
    const sent = receiver.received.slice(before).map((r) => r.headers['x-device-sessions-delivery']);
    expect(sent).toEqual([id, id, id]);
    expect(logs.lines().filter((l) => l.level === 50 && l.msg.includes(id))).toHaveLength(1);
    expect(logs.lines().filter((l) => l.level === 40 && l.msg.includes(id))).toHaveLength(2);
  });

  it('prunes delivered rows after a day and failed ones after the retention', async () => {
    const id = newId();
    await t.get(TransactionRunner).run((em) => t.get(Outbox).add('webhook', id, event(id), em));
    while ((await rows(id))[0]?.state !== 'delivered') await sleep(10);
    const relay = t.get(OutboxRelay);
    await relay.prune(Date.now());
    expect(await rows(id)).toHaveLength(1);
    await relay.prune(Date.now() + 86_400_001);
    expect(await rows(id)).toEqual([]);
  });
});

const mysql = process.env.TEST_MYSQL_URL ? describe : describe.skip;

mysql('the outbox across instances and crashes (MariaDB)', () => {
  it('two instances claim with SKIP LOCKED: 300 events, each delivered exactly once', async () => {
    const receiver = await startReceiver();
    const a = await createTestApp('mysql', hook(receiver.url));
    const b = await createTestApp('mysql', hook(receiver.url), { keepData: true });
    try {
      const ids = Array.from({ length: 300 }, () => newId());
      // Written while both relays poll: neither may claim what the other holds.
      for (let i = 0; i < ids.length; i += 10)
        await Promise.all(
          ids
            .slice(i, i + 10)
            .map((id, j) =>
              (j % 2 ? a : b).get(TransactionRunner).run((em) => a.get(Outbox).add('webhook', id, event(id), em)),
            ),
        );
      await receiver.waitFor(300);
      await Promise.all([a.get(OutboxRelay).idle(), b.get(OutboxRelay).idle()]);
      const wanted = new Set(ids);
      // (Rows an earlier suite left in the worker's database may be sent here too: only ours count.)
      const got = receiver.received
        .map((r) => String(r.headers['x-device-sessions-delivery']))
        .filter((id) => wanted.has(id));
      expect(got).toHaveLength(300);
      expect(new Set(got)).toEqual(wanted);
    } finally {
      await Promise.allSettled([a.close(), b.close()]);
      await receiver.close();
    }
  });

  it('kill -9 during a burst of 500 revocations, then a restart: every committed event is delivered', async () => {
    const receiver = await startReceiver();
    // The first deliveries hang: rows the killed instance held claimed when it died.
    receiver.replies.push(...Array<'hang'>(20).fill('hang'));
    const seed = await createTestApp('mysql');
    const user = await registerUser(seed.http);
    const actor = await login(seed.http, user);
    const columns = (await seed.dataSource.query<{ Field: string }[]>('SHOW COLUMNS FROM sessions')).map(
      (c) => c.Field,
    );
    const copy = `INSERT INTO sessions (${columns.join(', ')}) SELECT ${columns
      .map((c) => (c === 'id' ? '?' : c))
      .join(', ')} FROM sessions WHERE id = ?`;
    const victims = Array.from({ length: 500 }, () => newId());
    for (const id of victims) await seed.dataSource.query(copy, [id, actor.sessionId]);
    await seed.close();
    const env = {
      DATABASE_URL: await mysqlUrlForWorker(),
      JWT_SECRET: TEST_JWT_SECRET,
      RATE_LIMIT_PER_IP: '100000',
      OUTBOX_LEASE_MS: '1000',
      ...hook(receiver.url, { WEBHOOK_TIMEOUT_MS: '20000' }),
    };
    const first = await startService(env);
    await first.line(/listening on/);
    let answered = 0;
    const queue = [...victims];
    const workers = Array.from({ length: 16 }, async () => {
      for (let id = queue.shift(); id; id = queue.shift()) {
        const res = await fetch(`${first.base}/v1/sessions/${id}`, {
          method: 'DELETE',
          headers: { authorization: bearer(actor) },
        }).catch(() => null);
        if (!res) return;
        if (res.status !== 204)
          throw new Error(
            `${res.status}: ${first
              .output()
              .split('\n')
              .filter((l) => /"level":(40|50)/.test(l))
              .slice(0, 3)
              .join('\n')}`,
          );
        answered += 1;
        if (answered === 250) first.child.kill('SIGKILL');
      }
    });
    await Promise.all(workers);
    await first.exited;
    // Only the killed instance's deliveries hang: answer those, and drop the hangs it did not use, or the
    // restarted instance's first deliveries would wait out WEBHOOK_TIMEOUT_MS.
    receiver.replies.length = 0;
    receiver.release();
    const second = await startService(env);
    try {
      await second.line(/listening on/);
      const check = await createTestApp('mysql', {}, { keepData: true });
      try {
        const ended = (
          await check.dataSource.query<{ id: string }[]>("SELECT id FROM sessions WHERE end_reason = 'remote_logout'")
        ).map((r) => r.id);
        expect(ended.length).toBeGreaterThanOrEqual(answered);
        expect(ended.length).toBeLessThan(500);
        const delivered = () => {
          const byId = new Map<string, string[]>();
          for (const r of receiver.received) {
            const e = JSON.parse(r.body);
            if (e.type === 'session.revoked') byId.set(e.id, e.data.sessionIds);
          }
          return new Set([...byId.values()].flat());
        };
        while (ended.some((id) => !delivered().has(id))) await sleep(50);
        // Each committed revocation is one event; deduplicated by id, none is missing or extra.
        expect([...delivered()].sort()).toEqual([...ended].sort());
        // A row is marked delivered after the receiver's answer reaches the sender: wait for the last
        // ones (bounded by the test's timeout), then no row may be left pending or failed.
        const undelivered = async () =>
          (
            await check.dataSource.query<{ state: string; n: string }[]>(
              "SELECT state, COUNT(*) AS n FROM outbox WHERE state <> 'delivered' GROUP BY state",
            )
          ).map((r) => `${r.state}: ${r.n}`);
        const deadline = Date.now() + 20_000;
        while ((await undelivered()).length > 0 && Date.now() < deadline) await sleep(100);
        expect(await undelivered()).toEqual([]);
      } finally {
        await check.close();
      }
    } finally {
      second.child.kill('SIGTERM');
      await second.exited;
      await receiver.close();
    }
  }, 60_000);
});
