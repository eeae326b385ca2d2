import { createServer, connect, Socket } from 'node:net';

export interface SlowProxy {
  port: number;
  /** Holds the database's answers (queries still reach it) until release(): a stalled read. */
  hold(): void;
  release(): void;
  /** Answers held back so far. */
  readonly heldCount: number;
  close(): Promise<void>;
}

/** A TCP proxy that delays every chunk each way: a slow database without touching the driver. */
export async function startSlowProxy(target: { host: string; port: number }, delayMs: number): Promise<SlowProxy> {
  const sockets = new Set<Socket>();
  let held: (() => void)[] | null = null;
  const relay = (from: Socket, to: Socket, answers: boolean) => {
    from.on('data', (chunk) => {
      const send = () => setTimeout(() => to.writable && to.write(chunk), delayMs);
      if (answers && held) held.push(send);
      else send();
    });
    from.on('close', () => setTimeout(() => to.destroy(), delayMs));
    from.on('error', () => to.destroy());
  };
  const server = createServer((client) => {
    const upstream = connect(target.port, target.host);
    sockets.add(client);
    sockets.add(upstream);
    relay(client, upstream, false);
    relay(upstream, client, true);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as { port: number }).port,
    hold: () => (held ??= []),
    get heldCount() {
      return held?.length ?? 0;
    },
    release: () => {
      const queue = held ?? [];
      held = null;
      queue.forEach((send) => send());
    },
    close: () => {
      for (const s of sockets) s.destroy();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}
