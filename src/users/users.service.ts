import { apiError } from '../common/api-error.js';
import { Injectable } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { EventEmitter2 } from '@nestjs/event-emitter';
import type { EntityManager } from 'typeorm';
import { Clock } from '../common/clock.js';
import { RoleResolver } from '../common/guards/roles.guard.js';
import { newId } from '../common/random.js';
import type { AppConfig } from '../config/configuration.js';
import { isUniqueViolation } from '../database/unique-violation.js';
import { normalizeEmail } from './dto/email.rules.js';
import type { RegisterDto } from './dto/register.dto.js';
import { toUserResponse, UserResponse } from './dto/user.response.js';
import { PasswordHasher } from './password-hasher.js';
import type { UserEntity } from './user.entity.js';
import { USER_PROFILE_CHANGED, type UserProfileChangedEvent } from './user-events.js';
import { UsersRepository } from './users.repository.js';

const ADMIN = 'admin';

/** What the roles of a user are decided from, besides the grants. */
type RoleFacts = Pick<UserEntity, 'email'> & { emailVerifiedAt?: number | null };

@Injectable()
export class UsersService implements RoleResolver {
  private readonly adminEmails: Set<string>;

  constructor(
    private readonly users: UsersRepository,
    private readonly hasher: PasswordHasher,
    private readonly clock: Clock,
    config: ConfigService<AppConfig, true>,
    private readonly events: EventEmitter2,
  ) {
    this.adminEmails = new Set(config.get('auth', { infer: true }).adminEmails);
  }

  /**
   * `admin` comes from an operator's grant (`npm run admin -- grant`, stored in user_roles), or
   * from ADMIN_EMAILS for a verified address only: anyone can register a listed address first,
   * so the listing alone proves nothing. A caller that did not read the grants or the
   * verification (the per-request read behind GET /v1/auth/me) gets no role it cannot prove.
   */
  private roles(user: RoleFacts, granted: readonly string[] = []): string[] {
    return this.isAdmin(user, granted) ? ['user', 'admin'] : ['user'];
  }

  private isAdmin(user: RoleFacts, granted: readonly string[]): boolean {
    return granted.includes(ADMIN) || this.adminByEmail(user);
  }

  private adminByEmail(user: RoleFacts): boolean {
    return user.emailVerifiedAt !== undefined && user.emailVerifiedAt !== null && this.adminEmails.has(user.email);
  }

  /**
   * The API shape of a user read elsewhere (the per-request check reads the profile, and the
   * grants, with the session).
   */
  profile(
    user: Pick<UserEntity, 'id' | 'email' | 'name' | 'emailVerifiedAt' | 'createdAt'> & { grantedRoles: string[] },
  ): UserResponse {
    return toUserResponse(user, this.roles(user, user.grantedRoles));
  }

  async register(dto: RegisterDto): Promise<UserResponse> {
    const email = normalizeEmail(dto.email);
    if (await this.users.findByEmail(email)) throw apiError(409, 'email_taken', 'Email is already registered');
    const now = this.clock.now();
    const user: UserEntity = {
      id: newId(),
      email,
      name: dto.name ?? null,
      passwordHash: await this.hasher.hash(dto.password),
      emailVerifiedAt: null,
      credentialVersion: 0,
      disabledAt: null,
      createdAt: now,
      updatedAt: now,
    };
    try {
      await this.users.insert(user);
    } catch (e) {
      if (isUniqueViolation(e)) throw apiError(409, 'email_taken', 'Email is already registered');
      throw e;
    }
    return this.profile({ ...user, grantedRoles: [] });
  }

  /**
   * The account's id when the email is known, whether the password matches, and whether an admin
   * disabled the account; unknown emails cost the same hash. `credentialVersion` is the version
   * of the password that was checked: a session made from this check is stored only while it is
   * still the user's (SessionsService.create).
   */
  async verifyCredentials(
    email: string,
    password: string,
  ): Promise<{ userId: string | null; valid: boolean; disabled: boolean; credentialVersion: number }> {
    const user = await this.users.findByEmail(normalizeEmail(email));
    if (!user)
      return this.hasher
        .verifyDummy(password)
        .then(() => ({ userId: null, valid: false, disabled: false, credentialVersion: 0 }));
    const valid = await this.hasher.verify(user.passwordHash, password);
    return { userId: user.id, valid, disabled: user.disabledAt !== null, credentialVersion: user.credentialVersion };
  }

  /**
   * Why a login that proved the password stored no session (its credential version moved on):
   * the account was disabled or deleted meanwhile, or else its password changed.
   */
  async standing(userId: string): Promise<'active' | 'disabled' | 'gone'> {
    const user = await this.users.findById(userId);
    return !user ? 'gone' : user.disabledAt !== null ? 'disabled' : 'active';
  }

  async findIdByEmail(email: string): Promise<string | null> {
    return (await this.users.findByEmail(normalizeEmail(email)))?.id ?? null;
  }

  /** Where an account's mails go and how they greet; null when the user is gone or disabled (they get no mail). */
  async contact(userId: string): Promise<{ id: string; email: string; name: string | null; verified: boolean } | null> {
    const user = await this.users.findById(userId);
    if (!user || user.disabledAt !== null) return null;
    return { id: user.id, email: user.email, name: user.name, verified: user.emailVerifiedAt !== null };
  }

  /**
   * Disables (`at`) or enables (null) the account; 404 for an unknown id. `em`: the caller's
   * transaction (disabling ends the sessions in the same one). A disabled account keeps its first moment.
   */
  async setDisabled(userId: string, at: number | null, em?: EntityManager): Promise<void> {
    if (!(await this.users.setDisabled(userId, at, em))) throw apiError(404, 'not_found', 'User not found');
  }

  /**
   * Stores that the owner proved the address (once: a later proof keeps the first moment) and
   * evicts the cached profile, which shows `emailVerified` and the roles it grants.
   */
  async markEmailVerified(userId: string): Promise<void> {
    if (!(await this.users.markEmailVerified(userId, this.clock.now()))) return;
    await this.events.emitAsync(USER_PROFILE_CHANGED, { userId } satisfies UserProfileChangedEvent);
  }

  async getProfile(userId: string): Promise<UserResponse> {
    const user = await this.users.findById(userId);
    // The session check passed, so the user existed a moment ago: treat a vanished user as signed out.
    if (!user) throw apiError(401, 'session_ended', 'User no longer exists');
    return toUserResponse(user, this.roles(user, await this.users.rolesOf(user.id)));
  }

  async updateName(userId: string, name: string): Promise<UserResponse> {
    await this.users.update(userId, { name, updatedAt: this.clock.now() });
    // Awaited: the sessions module's cache holds the profile GET /v1/auth/me shows, and evicts it here.
    await this.events.emitAsync(USER_PROFILE_CHANGED, { userId } satisfies UserProfileChangedEvent);
    return this.getProfile(userId);
  }

  /** The account's email (its lockout key); 401 when the user vanished under a live session. */
  async emailOf(userId: string): Promise<string> {
    const user = await this.users.findById(userId);
    if (!user) throw apiError(401, 'session_ended', 'User no longer exists');
    return user.email;
  }

  /** Whether `password` is the user's; stores nothing. */
  async checkPassword(userId: string, password: string): Promise<boolean> {
    const user = await this.users.findById(userId);
    if (!user) throw apiError(401, 'session_ended', 'User no longer exists');
    return this.hasher.verify(user.passwordHash, password);
  }

  hashPassword(password: string): Promise<string> {
    return this.hasher.hash(password);
  }

  /**
   * Stores a new password and moves the user's credential version on, in the caller's transaction
   * (Credentials.replace): from its commit no login that checked an earlier password can store a session.
   */
  async setPasswordHash(userId: string, passwordHash: string, em?: EntityManager): Promise<void> {
    await this.users.setPassword(userId, passwordHash, this.clock.now(), em);
  }

  async rolesOf(userId: string): Promise<string[]> {
    const user = await this.users.findById(userId);
    return user ? this.roles(user, await this.users.rolesOf(userId)) : [];
  }

  /**
   * Operators' role commands (`npm run admin`): by email, of an existing account only — a grant
   * waiting for an address to register would hand the role to whoever registers it first.
   */
  async grantAdmin(email: string): Promise<{ userId: string; changed: boolean }> {
    const user = await this.accountByEmail(email);
    return { userId: user.id, changed: await this.users.grantRole(user.id, ADMIN, this.clock.now()) };
  }

  /** `stillAdmin`: ADMIN_EMAILS lists the verified address, so the role stays without the grant. */
  async revokeAdmin(email: string): Promise<{ userId: string; changed: boolean; stillAdmin: boolean }> {
    const user = await this.accountByEmail(email);
    return {
      userId: user.id,
      changed: await this.users.revokeRole(user.id, ADMIN),
      stillAdmin: this.adminByEmail(user),
    };
  }

  /** Every account holding `admin`, and where from: a grant, ADMIN_EMAILS (verified), or both. */
  async listAdmins(): Promise<{ id: string; email: string; sources: ('grant' | 'ADMIN_EMAILS')[] }[]> {
    const granted = await this.users.withRole(ADMIN);
    const listed = (await this.users.findByEmails([...this.adminEmails])).filter((u) => this.adminByEmail(u));
    const admins = new Map<string, { id: string; email: string; sources: ('grant' | 'ADMIN_EMAILS')[] }>();
    for (const { user } of granted) admins.set(user.id, { id: user.id, email: user.email, sources: ['grant'] });
    for (const user of listed) {
      const entry = admins.get(user.id) ?? { id: user.id, email: user.email, sources: [] };
      entry.sources.push('ADMIN_EMAILS');
      admins.set(user.id, entry);
    }
    return [...admins.values()];
  }

  private async accountByEmail(email: string): Promise<UserEntity> {
    const user = await this.users.findByEmail(normalizeEmail(email));
    if (!user) throw apiError(404, 'not_found', 'No account has this email');
    return user;
  }

  /** Deletes the account row (account deletion; the caller erases what other modules hold of it first). */
  delete(userId: string, em: EntityManager): Promise<void> {
    return this.users.delete(userId, em);
  }

  async assertExists(userId: string): Promise<void> {
    if (!(await this.users.findById(userId))) throw apiError(404, 'not_found', 'User not found');
  }

  lockForUpdate(userId: string, em: EntityManager): Promise<void> {
    return this.users.lockForUpdate(userId, em);
  }
}
