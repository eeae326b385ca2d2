// A client in a process of its own, for timing answers: the server's work behind an answer runs on
// the test process's event loop and must not delay the reading of that answer. The parent sends
// {port, path, body}; the child POSTs it (one keep-alive connection) and replies {status, ms}.
import { Agent, request } from 'node:http';
import { performance } from 'node:perf_hooks';

const agent = new Agent({ keepAlive: true, maxSockets: 1 });

process.on('message', ({ port, path, body }) => {
  const payload = JSON.stringify(body);
  const start = performance.now();
  const req = request(
    {
      host: '127.0.0.1',
      port,
      agent,
      method: 'POST',
      path,
      headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) },
    },
    (res) => {
      res.resume();
      res.on('end', () => process.send({ status: res.statusCode, ms: performance.now() - start }));
    },
  );
  req.on('error', (e) => process.send({ status: 0, ms: 0, error: e.message }));
  req.end(payload);
});
process.on('disconnect', () => {
  agent.destroy();
  process.exit(0);
});
