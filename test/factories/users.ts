import type supertest from 'supertest';

export const UA = {
  macChrome:
    'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 ' +
    'Safari/537.36',
  iphoneSafari:
    'Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) ' +
    'Version/17.5 Mobile/15E148 Safari/604.1',
  windowsFirefox: 'Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:133.0) Gecko/20100101 Firefox/133.0',
  ipad:
    'Mozilla/5.0 (iPad; CPU OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 ' +
    'Mobile/15E148 Safari/604.1',
};

let seq = 0;

export interface TestUser {
  id: string;
  email: string;
  password: string;
}

export interface TokenPair {
  accessToken: string;
  refreshToken: string;
  tokenType: string;
  expiresIn: number;
  sessionId: string;
}

type Http = ReturnType<typeof supertest>;

export async function registerUser(
  http: Http,
  overrides: Partial<{ email: string; password: string; name: string }> = {},
  /** The client address (X-Forwarded-For), for suites with a low per-IP limit. */
  ip?: string,
): Promise<TestUser> {
  seq += 1;
  const body = {
    email: `user${seq}.${Date.now()}@example.com`,
    password: 'correct horse battery staple',
    name: `User ${seq}`,
    ...overrides,
  };
  const req = http.post('/v1/auth/register');
  if (ip) req.set('X-Forwarded-For', ip);
  const res = await req.send(body).expect(201);
  return { id: res.body.id, email: body.email, password: body.password };
}

export async function login(
  http: Http,
  user: TestUser,
  device: { ua?: string; ip?: string; deviceName?: string } = {},
): Promise<TokenPair> {
  const req = http.post('/v1/auth/login').set('User-Agent', device.ua ?? UA.macChrome);
  if (device.ip) req.set('X-Forwarded-For', device.ip);
  const res = await req
    .send({
      email: user.email,
      password: user.password,
      ...(device.deviceName ? { deviceName: device.deviceName } : {}),
    })
    .expect(200);
  return res.body;
}

export const bearer = (pair: TokenPair | string) => `Bearer ${typeof pair === 'string' ? pair : pair.accessToken}`;
