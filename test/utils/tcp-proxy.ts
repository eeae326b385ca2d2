import { createServer, Server, Socket, connect } from 'node:net';

/**
 * A TCP proxy the test can cut and restore: cut closes every open connection and stops
 * accepting (clients get ECONNREFUSED at once, nothing hangs); restore listens again on the same port.
 */
export class TcpProxy {
  private server?: Server;
  private readonly sockets = new Set<Socket>();
  private loseAfter?: { text: string; resolve: () => void };
  port = 0;

  constructor(
    private readonly targetHost: string,
    private readonly targetPort: number,
  ) {}

  async start(): Promise<number> {
    if (this.server) return this.port;
    this.server = createServer((client) => {
      const upstream = connect(this.targetPort, this.targetHost);
      for (const s of [client, upstream]) {
        this.sockets.add(s);
        s.on('close', () => this.sockets.delete(s));
        s.on('error', () => s.destroy());
      }
      let lost = false;
      client.on('data', (chunk: Buffer) => {
        const arm = this.loseAfter;
        if (arm && chunk.includes(arm.text)) {
          // The server gets the statement and runs it; its answer never reaches the client.
          this.loseAfter = undefined;
          lost = true;
          upstream.write(chunk, () => {
            client.destroy();
            setTimeout(() => upstream.end(), 200);
            arm.resolve();
          });
          return;
        }
        if (!lost) upstream.write(chunk);
      });
      upstream.on('data', (chunk: Buffer) => {
        if (!lost) client.write(chunk);
      });
      client.on('close', () => !lost && upstream.destroy());
      upstream.on('close', () => client.destroy());
    });
    await new Promise<void>((resolve, reject) => {
      this.server!.once('error', reject);
      this.server!.listen(this.port, '127.0.0.1', resolve);
    });
    this.port = (this.server.address() as { port: number }).port;
    return this.port;
  }

  /**
   * Arms the proxy: the next statement whose packet contains `text` (e.g. `COMMIT`) reaches the
   * server, and that client connection is dropped before the answer comes back: the client
   * cannot tell whether it ran. Resolves once it happened.
   */
  loseReplyTo(text: string): Promise<void> {
    return new Promise((resolve) => (this.loseAfter = { text, resolve }));
  }

  async cut(): Promise<void> {
    const closed = new Promise<void>((resolve) => this.server?.close(() => resolve()));
    for (const s of this.sockets) s.destroy();
    await closed;
    this.server = undefined;
  }

  restore(): Promise<number> {
    return this.start();
  }

  stop(): Promise<void> {
    return this.server ? this.cut() : Promise.resolve();
  }
}
