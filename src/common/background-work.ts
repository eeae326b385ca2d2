import type { Logger } from '@nestjs/common';
import { safeErrorMessage } from './logging.js';

/**
 * Work a request starts and does not wait for (a mail's delivery, the lookup behind a password
 * reset request), tracked so that tests and shutdown can wait until it is done. Failures are
 * logged, never thrown: the request that started the work has already been answered.
 */
export class BackgroundWork {
  private readonly pending = new Set<Promise<void>>();

  constructor(private readonly logger: Logger) {}

  /**
   * Starts `work` on the next turn of the event loop, once the answer of the request that asked
   * for it has been written: on embedded SQLite queries run synchronously, so starting at once
   * would run them ahead of that answer. `what` names the work in the log line of a failure (never a secret).
   */
  start(what: string, work: () => Promise<void>): void {
    const running = new Promise<void>((resolve) => setImmediate(resolve))
      .then(work)
      .catch((e: unknown) => this.logger.error(`${what} failed: ${safeErrorMessage(e)}`))
      .finally(() => this.pending.delete(running));
    this.pending.add(running);
  }

  get size(): number {
    return this.pending.size;
  }

  /** Resolves once nothing is running, including work started by work that was running. */
  async idle(): Promise<void> {
    while (this.pending.size > 0) await Promise.allSettled([...this.pending]);
  }
}
