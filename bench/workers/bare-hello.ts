/**
 * The baseline: the smallest useful node:http server, answering `hello` like every hello function
 * in the bench. Usage: node bare-hello.js <port>
 */
import { createServer } from 'node:http';

const port = Number(process.argv[2]);
const body = Buffer.from('hello');

createServer((_req, res) => {
  // An explicit content-length: without one node:http falls back to chunked encoding.
  res.writeHead(200, { 'content-type': 'text/plain;charset=UTF-8', 'content-length': body.length });
  res.end(body);
}).listen(port, '127.0.0.1', () => {
  process.stdout.write(`listening on ${port}\n`);
});

process.on('SIGTERM', () => process.exit(0));
