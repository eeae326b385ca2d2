import { Injectable } from '@nestjs/common';
import { Algorithm, hash, verify } from '@node-rs/argon2';

/** OWASP's argon2id baseline: 19 MiB, 2 passes, 1 lane. */
const ARGON2 = { algorithm: Algorithm.Argon2id, memoryCost: 19_456, timeCost: 2, parallelism: 1 } as const;

@Injectable()
export class PasswordHasher {
  private dummy?: Promise<string>;

  /** NFKC so that the same password typed on different keyboards/IMEs hashes the same (NIST SP 800-63B). */
  private normalize(password: string): string {
    return password.normalize('NFKC');
  }

  hash(password: string): Promise<string> {
    return hash(this.normalize(password), ARGON2);
  }

  async verify(passwordHash: string, password: string): Promise<boolean> {
    try {
      return await verify(passwordHash, this.normalize(password));
    } catch {
      return false;
    }
  }

  /** Spends the same work as a real verify, for logins of unknown emails (no timing oracle). */
  async verifyDummy(password: string): Promise<false> {
    this.dummy ??= this.hash('dummy password that never matches');
    await this.verify(await this.dummy, password);
    return false;
  }
}
