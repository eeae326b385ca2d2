import type { TransactionRunner } from './transaction-runner.js';

/** Rewrites the one row of `health_heartbeat` in its own transaction: proof that a write commits. */
export async function writeHeartbeat(tx: TransactionRunner, at: number): Promise<void> {
  await tx.run((em) => em.query('UPDATE health_heartbeat SET beat_at = ? WHERE id = 1', [at]));
}
