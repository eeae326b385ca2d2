import { createHash } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import type { EntityManager } from 'typeorm';
import { apiError } from '../common/api-error.js';
import { Clock } from '../common/clock.js';
import { newId, randomSecret } from '../common/random.js';
import type { AppConfig } from '../config/configuration.js';
import type { LinkPurpose, LinkTokenEntity } from './link-token.entity.js';
import { LinkTokensRepository } from './link-tokens.repository.js';

/** The pages of /account/ that mails link to (served by src/account-page.ts). */
export const ACCOUNT_PAGES = {
  verify_email: '/account/verify',
  reset_password: '/account/reset',
  not_me: '/account/not-me',
  devices: '/account/devices',
} as const satisfies Record<LinkPurpose | 'devices', string>;

/** 256 random bits, base64url: the only shape a token of ours has. */
const TOKEN_BYTES = 32;
const TOKEN_SHAPE = /^[A-Za-z0-9_-]{43}$/;
const PURGE_BATCH = 500;

const hashOf = (token: string) => createHash('sha256').update(token).digest('hex');
const invalid = () =>
  apiError(400, 'link_invalid', 'This link is not valid: it was used, has expired or never existed');

/** A used link: whose account, and (for "this wasn't me") which session it reported. */
export interface UsedLink {
  userId: string;
  sessionId: string | null;
}

/**
 * The rules of every mailed link, in one place: a token is 256 random bits, travels only in the
 * link's fragment (browsers never send it, so no server or proxy logs it), is stored as its
 * SHA-256, works once, expires (VERIFY_LINK_TTL, RESET_LINK_TTL for reset and "this wasn't me"),
 * and dies with a password change or reset (revokeAll). An unknown, used or expired token is one
 * answer: 400 `link_invalid`.
 */
@Injectable()
export class LinkTokens {
  private readonly publicUrl: string;
  private readonly ttl: Record<LinkPurpose, number>;

  constructor(
    private readonly tokens: LinkTokensRepository,
    private readonly clock: Clock,
    config: ConfigService<AppConfig, true>,
  ) {
    const mail = config.get('mail', { infer: true });
    this.publicUrl = config.get('app', { infer: true }).publicUrl;
    this.ttl = { verify_email: mail.verifyLinkTtl, reset_password: mail.resetLinkTtl, not_me: mail.resetLinkTtl };
  }

  /** How long a new link of this purpose works, in seconds. */
  ttlSeconds(purpose: LinkPurpose): number {
    return this.ttl[purpose];
  }

  /** The URL of an /account/ page that takes no token. */
  page(name: keyof typeof ACCOUNT_PAGES): string {
    return this.publicUrl + ACCOUNT_PAGES[name];
  }

  /** Stores a new token (in `em`'s transaction, when given) and returns its link. */
  async issue(purpose: LinkPurpose, userId: string, opts: { sessionId?: string; em?: EntityManager } = {}) {
    const token = randomSecret(TOKEN_BYTES).toString('base64url');
    const now = this.clock.now();
    await this.tokens.insert(
      {
        id: newId(),
        purpose,
        tokenHash: hashOf(token),
        userId,
        sessionId: opts.sessionId ?? null,
        createdAt: now,
        expiresAt: now + this.ttl[purpose] * 1000,
        usedAt: null,
      },
      opts.em,
    );
    return `${this.publicUrl}${ACCOUNT_PAGES[purpose]}#token=${token}`;
  }

  /** The token's row if using it now would succeed; else 400 `link_invalid`. Uses nothing. */
  async check(purpose: LinkPurpose, token: string, em?: EntityManager): Promise<LinkTokenEntity> {
    const row = TOKEN_SHAPE.test(token) ? await this.tokens.findByHash(purpose, hashOf(token), em) : null;
    if (!row || row.usedAt !== null || row.expiresAt <= this.clock.now()) throw invalid();
    return row;
  }

  /**
   * Uses the token: once, whatever the concurrency (a conditional UPDATE; the losers get
   * `link_invalid`). In the transaction of the change it authorises, so a failed change leaves it unused.
   */
  async use(purpose: LinkPurpose, token: string, em?: EntityManager): Promise<UsedLink> {
    const row = await this.check(purpose, token, em);
    if (!(await this.tokens.use(row.id, this.clock.now(), em))) throw invalid();
    return { userId: row.userId, sessionId: row.sessionId };
  }

  /** Every unused link of the user dies: part of a password change or reset (in its transaction). */
  revokeAll(userId: string, em?: EntityManager): Promise<void> {
    return this.tokens.deleteUnused(userId, undefined, em);
  }

  /** The user's other links of one purpose die (once the address is verified, its other links mean nothing). */
  revoke(userId: string, purpose: LinkPurpose): Promise<void> {
    return this.tokens.deleteUnused(userId, purpose);
  }

  /** Account deletion: every token of the user goes, used ones too (in its transaction). */
  eraseUser(userId: string, em: EntityManager): Promise<void> {
    return this.tokens.deleteAll(userId, em);
  }

  /** Deletes expired tokens, in small batches; returns how many. */
  async purge(): Promise<number> {
    const now = this.clock.now();
    let purged = 0;
    for (let n = PURGE_BATCH; n === PURGE_BATCH; purged += n) n = await this.tokens.purgeExpired(now, PURGE_BATCH);
    return purged;
  }
}
