import { UsersService } from '../../src/users/users.service.js';
import type { TestApp } from '../utils/create-test-app.js';
import { registerUser, type TestUser } from './users.js';

/** What `npm run admin -- grant <email>` does, in process (test/admin-cli.e2e-spec runs the real command). */
export async function grantAdmin(t: TestApp, email: string): Promise<void> {
  await t.get(UsersService).grantAdmin(email);
}

/** A new account holding `admin` by an operator's grant. */
export async function registerAdmin(t: TestApp, overrides: Parameters<typeof registerUser>[1] = {}): Promise<TestUser> {
  const user = await registerUser(t.http, overrides);
  await grantAdmin(t, user.email);
  return user;
}
