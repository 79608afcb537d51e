/**
 * A stand-in control API for tests of the client and the CLI: answers canned JSON, records every
 * request, and enforces the bearer key the way the real server does.
 */
import { type IncomingHttpHeaders, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface FakeRequest {
  method: string;
  path: string;
  query: URLSearchParams;
  headers: IncomingHttpHeaders;
  body: string;
}

export interface FakeAnswer {
  status?: number;
  headers?: Record<string, string>;
  /** JSON-encoded unless `raw` is set. */
  body?: unknown;
  raw?: string;
}

export interface FakeApi {
  url: string;
  requests: FakeRequest[];
  close(): Promise<void>;
}

export function errorAnswer(status: number, code: string, message: string, extra: Record<string, unknown> = {}): FakeAnswer {
  return { status, body: { error: { code, message, ...extra } } };
}

export async function startFakeApi(key: string, answer: (req: FakeRequest) => FakeAnswer | undefined): Promise<FakeApi> {
  const requests: FakeRequest[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const url = new URL(req.url ?? '/', 'http://fake');
      const fr: FakeRequest = {
        method: req.method ?? 'GET',
        path: url.pathname,
        query: url.searchParams,
        headers: req.headers,
        body: Buffer.concat(chunks).toString('utf8'),
      };
      requests.push(fr);
      let a: FakeAnswer | undefined;
      if (fr.path.startsWith('/v1/') && req.headers.authorization !== `Bearer ${key}`) {
        a = errorAnswer(401, 'UNAUTHORIZED', 'missing or wrong admin key');
      } else {
        a = answer(fr) ?? errorAnswer(404, 'NOT_FOUND', `no endpoint ${fr.method} ${fr.path}`);
      }
      const body = a.raw ?? JSON.stringify(a.body ?? {});
      res.writeHead(a.status ?? 200, { 'content-type': 'application/json', ...a.headers });
      res.end(body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((err) => (err ? reject(err) : resolve()));
      }),
  };
}

/** A URL where nothing listens: a port that was free a moment ago. */
export async function unreachableUrl(): Promise<string> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return `http://127.0.0.1:${port}`;
}
