import { bearer, login, registerUser } from './factories/users.js';
import { createTestApp, TestApp } from './utils/create-test-app.js';
import { testDatabases } from './utils/databases.js';

/** NIST SP 800-63B password rules, end to end (ASVS 6.2.1–6.2.9, 6.2.4; argon2id for 11.4.2). */
describe.each(testDatabases)('passwords on %s', (db) => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp(db);
  });
  afterAll(() => t.close());

  it.each(['password123', 'iloveyou', 'qwertyuiop', 'Password1', 'ＰＡＳＳＷＯＲＤ１'])(
    'refuses the common password %j at register, saying why',
    async (password) => {
      const res = await t.http.post('/v1/auth/register').send({ email: 'common@example.com', password }).expect(400);
      expect(res.body.message).toEqual([expect.stringMatching(/password is one of the most commonly used passwords/)]);
      const [{ n }] = await t.dataSource.query(`SELECT COUNT(*) AS n FROM users WHERE email = 'common@example.com'`);
      expect(Number(n)).toBe(0);
    },
  );

  it('refuses a common new password on change and keeps the old one and the other sessions', async () => {
    const user = await registerUser(t.http);
    const [a, b] = [await login(t.http, user), await login(t.http, user)];
    const res = await t.http
      .post('/v1/users/me/password')
      .set('Authorization', bearer(a))
      .send({ currentPassword: user.password, newPassword: 'football' })
      .expect(400);
    expect(res.body.message).toEqual([expect.stringMatching(/newPassword is one of the most commonly used passwords/)]);
    await t.http.get('/v1/auth/me').set('Authorization', bearer(b)).expect(200);
    await login(t.http, user);
  });

  it(
    'accepts long Unicode passphrases up to 128 characters and 512 bytes, and stores only an argon2id ' + 'hash',
    async () => {
      const password = '🔑'.repeat(128); // 128 characters, exactly 512 UTF-8 bytes
      const user = await registerUser(t.http, { password });
      await login(t.http, user);
      const [row] = await t.dataSource.query('SELECT password_hash FROM users WHERE id = ?', [user.id]);
      expect(row.password_hash).toMatch(/^\$argon2id\$v=19\$m=19456,t=2,p=1\$/);
      expect(row.password_hash).not.toContain(password);
    },
  );

  it('never truncates: a password differing only in its last character does not log in', async () => {
    const password = `${'long passphrase '.repeat(7)}end!`.slice(0, 128);
    const user = await registerUser(t.http, { password });
    await t.http
      .post('/v1/auth/login')
      .send({ email: user.email, password: `${password.slice(0, -1)}?` })
      .expect(401);
    await t.http.post('/v1/auth/login').send({ email: user.email, password }).expect(200);
  });

  it('normalises with NFKC: the same password typed composed, decomposed or full-width logs in', async () => {
    const user = await registerUser(t.http, { password: 'Crème brûlée 2024 ﬁne' });
    for (const typed of ['Cre\u0300me bru\u0302le\u0301e 2024 ﬁne', 'Crème brûlée ２０２４ fine']) {
      await t.http.post('/v1/auth/login').send({ email: user.email, password: typed }).expect(200);
    }
  });

  it('gives an unknown email and a wrong password the same answer', async () => {
    const user = await registerUser(t.http);
    const wrong = await t.http
      .post('/v1/auth/login')
      .send({ email: user.email, password: 'not the password' })
      .expect(401);
    const unknown = await t.http
      .post('/v1/auth/login')
      .send({ email: 'never.registered@example.com', password: 'not the password' })
      .expect(401);
    expect(unknown.body).toEqual(wrong.body);
    expect(Object.keys(unknown.headers).sort()).toEqual(Object.keys(wrong.headers).sort());
  });
});
