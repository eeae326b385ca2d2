import { createServer, IncomingHttpHeaders, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface ReceivedRequest {
  headers: IncomingHttpHeaders;
  body: string;
}

/** What the receiver does with the n-th request: answer with a status, or hold it unanswered. */
export type Reply = number | 'hang';

/** A local HTTP receiver for webhook tests: records requests, answers with `replies` in turn, then 200. */
export async function startReceiver() {
  const replies: Reply[] = [];
  const received: ReceivedRequest[] = [];
  const held: ServerResponse[] = [];
  const waiters: { n: number; resolve: () => void }[] = [];
  const server = createServer((req, res) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (c: string) => (body += c));
    req.on('end', () => {
      const reply = replies.shift() ?? 200;
      received.push({ headers: req.headers, body });
      if (reply === 'hang') held.push(res);
      else res.writeHead(reply).end();
      for (const w of waiters.filter((x) => received.length >= x.n)) w.resolve();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`,
    received,
    replies,
    /** Resolves once `n` requests have arrived (event-driven, no polling). */
    waitFor: (n: number) =>
      new Promise<void>((resolve) => (received.length >= n ? resolve() : waiters.push({ n, resolve }))),
    release: () => held.splice(0).forEach((res) => res.writeHead(200).end()),
    close: () => {
      held.splice(0).forEach((res) => res.destroy());
      server.closeAllConnections();
      return new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
