import { apiError } from '../common/api-error.js';
import { Injectable } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { EventEmitter2 } from '@nestjs/event-emitter';
import { QueryFailedError, type EntityManager } from 'typeorm';
import { Clock } from '../common/clock.js';
import { RoleResolver } from '../common/guards/roles.guard.js';
import { newId } from '../common/random.js';
import type { AppConfig } from '../config/configuration.js';
import { normalizeEmail } from './dto/email.rules.js';
import type { RegisterDto } from './dto/register.dto.js';
import { toUserResponse, UserResponse } from './dto/user.response.js';
import { PasswordHasher } from './password-hasher.js';
import type { UserEntity } from './user.entity.js';
import { USER_PROFILE_CHANGED, type UserProfileChangedEvent } from './user-events.js';
import { UsersRepository } from './users.repository.js';

const isUniqueViolation = (e: unknown) =>
  e instanceof QueryFailedError &&
  /ER_DUP_ENTRY|UNIQUE constraint failed|SQLITE_CONSTRAINT/i.test(`${(e as { code?: string }).code} ${e.message}`);

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
   * ADMIN_EMAILS grants `admin` to a verified address only: anyone can register a listed address
   * first, so the listing alone proves nothing.
   */
  private roles(user: Pick<UserEntity, 'email' | 'emailVerifiedAt'>): string[] {
    return user.emailVerifiedAt !== null && this.adminEmails.has(user.email) ? ['user', 'admin'] : ['user'];
  }

  /** The API shape of a user read elsewhere (the per-request check reads the profile with the session). */
  profile(user: Pick<UserEntity, 'id' | 'email' | 'name' | 'emailVerifiedAt' | 'createdAt'>): UserResponse {
    return toUserResponse(user, this.roles(user));
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
      createdAt: now,
      updatedAt: now,
    };
    try {
      await this.users.insert(user);
    } catch (e) {
      if (isUniqueViolation(e)) throw apiError(409, 'email_taken', 'Email is already registered');
      throw e;
    }
    return this.profile(user);
  }

  /** The account's id when the email is known, and whether the password matches; unknown emails cost the same hash. */
  async verifyCredentials(email: string, password: string): Promise<{ userId: string | null; valid: boolean }> {
    const user = await this.users.findByEmail(normalizeEmail(email));
    if (!user) return this.hasher.verifyDummy(password).then(() => ({ userId: null, valid: false }));
    return { userId: user.id, valid: await this.hasher.verify(user.passwordHash, password) };
  }

  async findIdByEmail(email: string): Promise<string | null> {
    return (await this.users.findByEmail(normalizeEmail(email)))?.id ?? null;
  }

  /** Where an account's mails go and how they greet; null when the user is gone. */
  async contact(userId: string): Promise<{ id: string; email: string; name: string | null; verified: boolean } | null> {
    const user = await this.users.findById(userId);
    return user && { id: user.id, email: user.email, name: user.name, verified: user.emailVerifiedAt !== null };
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
    return this.profile(user);
  }

  async updateName(userId: string, name: string): Promise<UserResponse> {
    await this.users.update(userId, { name, updatedAt: this.clock.now() });
    // Awaited: the sessions module's cache holds the profile GET /v1/auth/me shows, and evicts it here.
    await this.events.emitAsync(USER_PROFILE_CHANGED, { userId } satisfies UserProfileChangedEvent);
    return this.getProfile(userId);
  }

  /** Checks the current password (403 when wrong) and returns the new one's hash; stores nothing. */
  async checkPasswordAndHashNew(userId: string, currentPassword: string, newPassword: string): Promise<string> {
    const user = await this.users.findById(userId);
    if (!user) throw apiError(401, 'session_ended', 'User no longer exists');
    if (!(await this.hasher.verify(user.passwordHash, currentPassword)))
      throw apiError(403, 'invalid_credentials', 'Current password is wrong');
    return this.hasher.hash(newPassword);
  }

  /** A new password's hash (the DTO checked the password rules). */
  hashPassword(password: string): Promise<string> {
    return this.hasher.hash(password);
  }

  async setPasswordHash(userId: string, passwordHash: string, em?: EntityManager): Promise<void> {
    await this.users.update(userId, { passwordHash, updatedAt: this.clock.now() }, em);
  }

  async rolesOf(userId: string): Promise<string[]> {
    const user = await this.users.findById(userId);
    return user ? this.roles(user) : [];
  }

  async assertExists(userId: string): Promise<void> {
    if (!(await this.users.findById(userId))) throw apiError(404, 'not_found', 'User not found');
  }

  lockForUpdate(userId: string, em: EntityManager): Promise<void> {
    return this.users.lockForUpdate(userId, em);
  }
}
