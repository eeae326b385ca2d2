import { createPublicKey, verify, type JsonWebKey } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';

export interface ReceivedSet {
  contentType: string | undefined;
  body: string;
  at: number;
}

/** A SET receiver (RFC 8935) on loopback: keeps every push, answers `status()` (202 by default). */
export async function startSetReceiver(path = '/security-events') {
  const received: ReceivedSet[] = [];
  let status = () => 202;
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      if (req.url === path && req.method === 'POST')
        received.push({
          contentType: req.headers['content-type'],
          body: Buffer.concat(chunks).toString(),
          at: Date.now(),
        });
      res.statusCode = status();
      res.end();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const url = `http://127.0.0.1:${(server.address() as { port: number }).port}${path}`;
  return {
    url,
    received,
    answer(fn: () => number) {
      status = fn;
    },
    /** Waits (generously) until at least `n` SETs arrived. */
    async waitFor(n: number, timeoutMs = 15_000): Promise<ReceivedSet[]> {
      const until = Date.now() + timeoutMs;
      while (received.length < n && Date.now() < until) await sleep(10);
      if (received.length < n) throw new Error(`${received.length} of ${n} SETs arrived`);
      return received;
    },
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}

/**
 * A compact JWS checked with node:crypto alone against a JWKS: the key its `kid` names, the
 * signature (ES256 as IEEE P1363 r‖s, EdDSA), and its header and claims.
 */
export function verifyWithJwks(token: string, jwks: { keys: (JsonWebKey & { kid: string; alg: string })[] }) {
  const [h, p, s] = token.split('.');
  const header = JSON.parse(Buffer.from(h, 'base64url').toString()) as Record<string, unknown>;
  const claims = JSON.parse(Buffer.from(p, 'base64url').toString()) as Record<string, unknown>;
  const jwk = jwks.keys.find((k) => k.kid === header.kid);
  if (!jwk) return { header, claims, valid: false };
  const key = createPublicKey({ key: jwk, format: 'jwk' });
  const data = Buffer.from(`${h}.${p}`);
  const signature = Buffer.from(s, 'base64url');
  const valid =
    header.alg === 'ES256'
      ? verify('sha256', data, { key, dsaEncoding: 'ieee-p1363' }, signature)
      : header.alg === 'EdDSA' && verify(null, data, key, signature);
  return { header, claims, valid };
}
