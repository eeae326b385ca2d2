/** Time, injectable so that tests move it instead of sleeping. Milliseconds since the epoch. */
export abstract class Clock {
  abstract now(): number;
}

export class SystemClock extends Clock {
  now(): number {
    return Date.now();
  }
}
