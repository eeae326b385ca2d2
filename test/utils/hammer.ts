import { Agent, request } from 'node:http';
import { performance } from 'node:perf_hooks';

export interface Shot {
  start: number;
  end: number;
  status: number;
}

/**
 * Keeps `concurrency` requests in flight against GET `url` until stopped, recording when
 * each one started and ended (performance.now()) and its status.
 */
export function hammer(
  url: string,
  authorization: string,
  concurrency = 4,
): { shots: Shot[]; stop(): Promise<Shot[]> } {
  const agent = new Agent({ keepAlive: true, maxSockets: concurrency });
  const shots: Shot[] = [];
  let running = true;
  const once = () =>
    new Promise<void>((resolve) => {
      const start = performance.now();
      const req = request(url, { agent, headers: { authorization } }, (res) => {
        res.resume();
        res.on('end', () => {
          shots.push({ start, end: performance.now(), status: res.statusCode ?? 0 });
          resolve();
        });
      });
      req.on('error', () => {
        shots.push({ start, end: performance.now(), status: 0 });
        resolve();
      });
      req.end();
    });
  const loops = Array.from({ length: concurrency }, async () => {
    while (running) await once();
  });
  return {
    shots,
    async stop() {
      running = false;
      await Promise.all(loops);
      agent.destroy();
      return shots;
    },
  };
}
