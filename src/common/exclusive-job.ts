import { Logger } from '@nestjs/common';
import { safeErrorMessage } from './logging.js';

/**
 * A scheduled job that skips a tick while its previous run is still going, logs what it did,
 * and never throws into the scheduler.
 */
export class ExclusiveJob {
  private running = false;

  constructor(
    private readonly logger: Logger,
    private readonly name: string,
  ) {}

  /** `work` returns a line worth logging, or nothing when there was nothing to do. */
  async run(work: () => Promise<string | undefined>): Promise<void> {
    if (this.running) return;
    this.running = true;
    try {
      const done = await work();
      if (done) this.logger.log(`${this.name}: ${done}`);
    } catch (e) {
      this.logger.warn(`${this.name} failed: ${safeErrorMessage(e)}`);
    } finally {
      this.running = false;
    }
  }
}
