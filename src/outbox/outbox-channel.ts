/** What a channel is handed for one attempt of one delivery. */
export interface Delivery<P> {
  /** The outbox row's id: the event id (a SET's `jti`), the same on every attempt, for receivers to deduplicate on. */
  id: string;
  payload: P;
  /** 1 on the first attempt. */
  attempt: number;
  /** Aborted at shutdown: stop, the row stays pending and is sent again. */
  signal: AbortSignal;
}

/**
 * One way out of the outbox (webhook, mail; a `set` channel per SET receiver comes next). A
 * channel registers itself with `Outbox.register()` in its `onModuleInit`, names the rows it
 * owns by `name`, and delivers one payload per call: resolve when the receiver took it, throw
 * to retry (with backoff, up to `maxAttempts`), throw `FinalFailure` when retrying cannot help.
 */
export interface OutboxChannel<P = unknown> {
  readonly name: string;
  /** Off (e.g. no WEBHOOK_URL): `Outbox.add` writes nothing for it. */
  readonly enabled: boolean;
  readonly maxAttempts: number;
  /** The delay after the first failed attempt; each later one doubles it. */
  readonly retryDelayMs: number;
  /** Payloads hold secrets (a mail's link): stored encrypted, and erased once delivered or failed. */
  readonly sealed?: boolean;
  deliver(delivery: Delivery<P>): Promise<void>;
  /** What a log line may say of a payload (never a secret). */
  describe?(payload: P): string;
}

/** Thrown by a channel when retrying cannot help (a 4xx from the receiver): the row is failed at once. */
export class FinalFailure extends Error {
  override name = 'FinalFailure';
}
