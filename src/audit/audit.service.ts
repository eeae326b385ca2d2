import { createHmac } from 'node:crypto';
import type { EntityManager } from 'typeorm';
import { Injectable } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { Clock } from '../common/clock.js';
import { newId } from '../common/random.js';
import type { AppConfig } from '../config/configuration.js';
import { AuditRepository } from './audit.repository.js';
import type { LoginOutcome } from './login-audit.entity.js';

export interface LoginAttemptRecord {
  /** The normalised email as typed; stored only as a keyed hash. */
  email: string;
  userId: string | null;
  outcome: LoginOutcome;
  ip?: string;
  userAgent?: string;
}

const PURGE_BATCH = 1000;

/** The login audit trail (ASVS 7.2.1): who tried, from where, with what result — never a secret. */
@Injectable()
export class AuditService {
  private readonly key: Buffer;
  private readonly retentionMs: number;

  constructor(
    private readonly audit: AuditRepository,
    private readonly clock: Clock,
    config: ConfigService<AppConfig, true>,
  ) {
    this.key = config.get('auth', { infer: true }).auditKey;
    this.retentionMs = config.get('session', { infer: true }).retentionDays * 86_400_000;
  }

  emailHash(email: string): string {
    return createHmac('sha256', this.key).update(email).digest('hex');
  }

  /** `em`: the transaction of what the attempt did (a login's session), so both commit or neither. */
  async recordLogin(r: LoginAttemptRecord, em?: EntityManager): Promise<void> {
    await this.audit.insert(
      {
        id: newId(),
        userId: r.userId,
        emailHash: this.emailHash(r.email),
        outcome: r.outcome,
        ipAddress: r.ip?.slice(0, 45) ?? null,
        userAgent: r.userAgent?.slice(0, 512) ?? null,
        createdAt: this.clock.now(),
      },
      em,
    );
  }

  /** Account deletion: every login attempt of the account (by user id, or by its email), in its transaction. */
  eraseUser(userId: string, email: string, em: EntityManager): Promise<void> {
    return this.audit.deleteFor(userId, this.emailHash(email), em);
  }

  /** Same retention as ended sessions (SESSION_RETENTION_DAYS). */
  async purge(): Promise<number> {
    const cutoff = this.clock.now() - this.retentionMs;
    let purged = 0;
    for (let n = PURGE_BATCH; n === PURGE_BATCH; purged += n) n = await this.audit.purgeBefore(cutoff, PURGE_BATCH);
    return purged;
  }
}
