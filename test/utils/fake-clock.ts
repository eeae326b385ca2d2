import { Clock } from '../../src/common/clock.js';

/** A clock tests move by hand. */
export class FakeClock extends Clock {
  constructor(private current = Date.now()) {
    super();
  }

  now(): number {
    return this.current;
  }

  advance(ms: number): void {
    this.current += ms;
  }
}
