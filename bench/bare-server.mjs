// (d) The ceiling: bare node:http verifying an HS256 access token, no framework, no lookup; the same
// body as (c) (BENCH_ME_SAMPLE, filled from the claims).
import { createHmac, timingSafeEqual } from 'node:crypto';
import { createServer } from 'node:http';

const key = Buffer.from(process.env.JWT_SECRET, 'utf8');
const port = Number(process.env.PORT);
const sample = JSON.parse(process.env.BENCH_ME_SAMPLE ?? '{"user":{},"session":{}}');

function verify(header) {
  const m = /^Bearer ([\w-]+)\.([\w-]+)\.([\w-]+)$/.exec(header ?? '');
  if (!m) return null;
  const expected = createHmac('sha256', key).update(`${m[1]}.${m[2]}`).digest();
  const given = Buffer.from(m[3], 'base64url');
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) return null;
  const head = JSON.parse(Buffer.from(m[1], 'base64url').toString());
  const claims = JSON.parse(Buffer.from(m[2], 'base64url').toString());
  if (
    head.alg !== 'HS256' ||
    claims.iss !== 'device-sessions' ||
    claims.aud !== 'device-sessions' ||
    claims.exp * 1000 <= Date.now()
  )
    return null;
  return claims;
}

createServer((req, res) => {
  const claims = req.method === 'GET' && req.url === '/v1/auth/me' ? verify(req.headers.authorization) : null;
  res.writeHead(claims ? 200 : 401, { 'content-type': 'application/json; charset=utf-8' });
  res.end(
    JSON.stringify(
      claims
        ? { user: { ...sample.user, id: claims.sub }, session: { ...sample.session, id: claims.sid } }
        : { statusCode: 401 },
    ),
  );
}).listen(port, '127.0.0.1', () => process.send?.('ready'));
