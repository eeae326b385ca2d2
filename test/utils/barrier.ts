import { connect, type Socket } from 'node:net';

export interface BarrierRequest {
  method: string;
  path: string;
  headers?: Record<string, string>;
  /** Sent as JSON, unless `form` is given. */
  body?: unknown;
  /** Sent as it is, as `application/x-www-form-urlencoded`. */
  form?: string;
}

export interface BarrierAnswer {
  status: number;
  headers: Record<string, string>;
  body: unknown;
}

/**
 * Sends every request so that the server sees them complete together: each gets its own
 * connection, and its headers and all of its body but the last byte are written first; once
 * every connection holds its request, the last bytes go out in one turn of the event loop. No
 * request can be answered (nor so much as parsed) before all were sent — the barrier a race
 * test needs, where a plain Promise.all would let the first requests finish before the last start.
 */
export async function releaseTogether(port: number, requests: BarrierRequest[]): Promise<BarrierAnswer[]> {
  const sockets = await Promise.all(
    requests.map(
      (r) =>
        new Promise<{ socket: Socket; last: Buffer; answer: Promise<BarrierAnswer> }>((resolve, reject) => {
          const body = Buffer.from(r.form ?? JSON.stringify(r.body));
          const head = [
            `${r.method} ${r.path} HTTP/1.1`,
            'Host: 127.0.0.1',
            'Connection: close',
            `Content-Type: ${r.form === undefined ? 'application/json' : 'application/x-www-form-urlencoded'}`,
            `Content-Length: ${body.length}`,
            ...Object.entries(r.headers ?? {}).map(([k, v]) => `${k}: ${v}`),
            '',
            '',
          ].join('\r\n');
          const socket = connect(port, '127.0.0.1');
          const chunks: Buffer[] = [];
          const answer = new Promise<BarrierAnswer>((done, fail) => {
            socket.on('data', (d: Buffer) => chunks.push(d));
            socket.on('error', fail);
            socket.on('end', () => done(parse(Buffer.concat(chunks).toString('utf8'))));
          });
          socket.once('error', reject);
          socket.once('connect', () => {
            socket.write(Buffer.concat([Buffer.from(head), body.subarray(0, -1)]), () =>
              resolve({ socket, last: body.subarray(-1), answer }),
            );
          });
        }),
    ),
  );
  for (const { socket, last } of sockets) socket.write(last);
  return Promise.all(sockets.map((s) => s.answer));
}

function parse(raw: string): BarrierAnswer {
  const at = raw.indexOf('\r\n\r\n');
  const [statusLine, ...lines] = raw.slice(0, at).split('\r\n');
  const headers = Object.fromEntries(
    lines.map((l) => [l.slice(0, l.indexOf(':')).toLowerCase(), l.slice(l.indexOf(':') + 1).trim()]),
  );
  const text = raw.slice(at + 4);
  return { status: Number(statusLine.split(' ')[1]), headers, body: text ? JSON.parse(text) : undefined };
}

/** How many answers had each status, e.g. `{ 401: 10, 429: 20 }`. */
export const countStatuses = (answers: BarrierAnswer[]): Record<number, number> =>
  answers.reduce<Record<number, number>>((n, a) => ({ ...n, [a.status]: (n[a.status] ?? 0) + 1 }), {});
