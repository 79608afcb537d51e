/**
 * The baseline: the smallest useful node:http server, answering `hello` like every hello function
 * in the bench; with a delay, it waits that long (a timer, no CPU) before answering, the bare
 * counterpart of an I/O-bound function. Usage: node bare-hello.js <port> [delayMs]
 */
import { createServer } from 'node:http';

const port = Number(process.argv[2]);
const delayMs = Number(process.argv[3] ?? 0);
const body = Buffer.from('hello');

createServer((_req, res) => {
  // An explicit content-length: without one node:http falls back to chunked encoding.
  const answer = () => {
    res.writeHead(200, { 'content-type': 'text/plain;charset=UTF-8', 'content-length': body.length });
    res.end(body);
  };
  if (delayMs > 0) setTimeout(answer, delayMs);
  else answer();
}).listen(port, '127.0.0.1', () => {
  process.stdout.write(`listening on ${port}\n`);
});

process.on('SIGTERM', () => process.exit(0));
