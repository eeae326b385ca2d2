import { UsersService } from '../../src/users/users.service.js';
import type { TestApp } from '../utils/create-test-app.js';
import { registerUser, type TestUser } from './users.js';

/**
 * A new account holding `admin`: registered with an address the app's ADMIN_EMAILS lists, then
 * verified (in process; test/account-verify follows the mailed link). ADMIN_EMAILS alone grants nothing.
 */
export async function registerAdmin(t: TestApp, overrides: Parameters<typeof registerUser>[1] = {}): Promise<TestUser> {
  const user = await registerUser(t.http, overrides);
  await t.get(UsersService).markEmailVerified(user.id);
  return user;
}
