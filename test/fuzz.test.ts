/**
 * Property-based fuzzing of a real node's public inputs (fast-check, bounded runs):
 * - control-API request bodies: arbitrary JSON (and non-JSON) to deploy, rollback, invoke,
 *   redrive and publish → a coded answer below 500, never a 500, and the server stays up;
 * - the gateway's request parsing over raw sockets: arbitrary methods, paths, headers and Host
 *   values → never a 500, never a crash.
 */
import { strict as assert } from 'node:assert';
import { after, before, describe, it } from 'node:test';
import fc from 'fast-check';
import { rawExchange } from './support/raw-http.js';
import { startTestNimbus, type TestNimbus } from './support/harness.js';

const MANIFEST = `app: fz
routes:
  host: fz.example.com
functions:
  echo:
    handler: src/echo.ts
    bindings:
      OUT: { topic: fz-topic }
    triggers:
      - http: ANY /{proxy+}
  plain:
    handler: src/echo.ts
    triggers:
      - http: GET /plain/{id}
`;
const ECHO = `export default { async fetch(req: Request) { return new Response(req.method + ' ' + new URL(req.url).pathname); } };\n`;

/** Status of the first response in a raw exchange, or 0 when the server closed without one. */
function statusOf(raw: string): number {
  return Number(/^HTTP\/1\.1 (\d{3})/.exec(raw)?.[1] ?? 0);
}

describe('fuzzing a running node', () => {
  let n: TestNimbus;
  before(async () => {
    n = await startTestNimbus();
    await n.deploy({ 'nimbus.yaml': MANIFEST, 'src/echo.ts': ECHO });
  });
  after(() => n.close());

  const stillUp = async (): Promise<void> => {
    assert.equal((await fetch(`${n.gatewayUrl}/healthz`)).status, 200);
    assert.equal((await n.client.health()).ok, true);
  };

  it('control API: arbitrary bodies get a coded 4xx (or a success), never a 500', async () => {
    const endpoints: [string, string][] = [
      ['PUT', '/v1/apps/fz2'],
      ['PUT', '/v1/apps/fz'],
      ['POST', '/v1/apps/fz/functions/echo/rollback'],
      ['POST', '/v1/apps/fz/functions/nope/rollback'],
      ['POST', '/v1/apps/fz/functions/plain/invoke'],
      ['POST', '/v1/apps/fz/functions/echo/dlq/redrive'],
      ['POST', '/v1/topics/fz-topic'],
      ['POST', '/v1/topics/nope'],
    ];
    const body = fc.oneof(
      fc.jsonValue({ maxDepth: 4 }).map((v) => JSON.stringify(v)),
      fc.string({ maxLength: 60 }),
      fc.record({ spec: fc.jsonValue({ maxDepth: 3 }), bundles: fc.jsonValue({ maxDepth: 2 }) }).map((v) => JSON.stringify(v)),
      fc.record({ to: fc.oneof(fc.integer(), fc.double(), fc.string({ maxLength: 5 }), fc.constant(null)) }).map((v) => JSON.stringify(v)),
    );
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...endpoints), body, async ([method, path], text) => {
        const res = await fetch(`${n.adminUrl}${path}`, { method, body: text, headers: { authorization: `Bearer ${n.adminKey}`, 'content-type': 'application/json' } });
        const answer = await res.text();
        assert.ok(res.status < 500, `${method} ${path} ${text.slice(0, 80)} → ${res.status} ${answer.slice(0, 200)}`);
        if (res.status >= 400) {
          const code = (JSON.parse(answer) as { error?: { code?: unknown } }).error?.code;
          assert.equal(typeof code, 'string', answer.slice(0, 200));
        }
      }),
      { numRuns: 250 },
    );
    await stillUp();
  });

  it('gateway: arbitrary methods, paths, headers and Host values over raw sockets never get a 500', async () => {
    const token = fc.string({ unit: fc.constantFrom(...'GETPOSTANYDLHabc-!*'.split('')), minLength: 1, maxLength: 8 });
    const method = fc.oneof(fc.constantFrom('GET', 'POST', 'HEAD', 'PUT', 'DELETE', 'OPTIONS', 'PATCH', 'CONNECT', 'TRACE'), token);
    const segment = fc.oneof(
      fc.constantFrom('plain', 'x', '.', '..', '%2e', '%2E%2e', '%2f', '%00', '%', '%zz', 'healthz', '\\', ';', '~', '*', ':id', '{p}', '%F0%9F%98%80', 'é'),
      fc.string({ maxLength: 8 }),
    );
    const path = fc.oneof(
      fc.array(segment, { maxLength: 6 }).map((s) => `/${s.join('/')}`),
      fc.tuple(fc.array(segment, { maxLength: 4 }), fc.string({ maxLength: 20 })).map(([s, q]) => `/${s.join('/')}?${q}`),
      fc.constantFrom('*', 'http://fz.example.com/plain/1', '//', '/plain//1', ''),
    );
    const host = fc.option(
      fc.oneof(
        fc.constantFrom('fz.example.com', 'FZ.EXAMPLE.COM:80', 'fz.example.com.', '[::1]:8080', 'a b', 'x/y', ':::', '', 'fz.example.com:99999', 'fz.example.com@evil'),
        fc.string({ maxLength: 30 }),
      ),
      { nil: undefined },
    );
    const header = fc.tuple(fc.oneof(fc.constantFrom('x-nimbus-invocation-id', 'content-length', 'transfer-encoding', 'expect', 'cookie'), fc.string({ maxLength: 10 })), fc.string({ maxLength: 30 }));
    await fc.assert(
      fc.asyncProperty(method, path, host, fc.array(header, { maxLength: 3 }), async (m, p, h, headers) => {
        const lines = [`${m} ${p} HTTP/1.1`, ...(h === undefined ? [] : [`Host: ${h}`]), ...headers.map(([k, v]) => `${k}: ${v}`), 'Connection: close', '', ''];
        const raw = await rawExchange(n.gatewayUrl, lines.join('\r\n'));
        const status = statusOf(raw);
        assert.ok(status !== 500, `${JSON.stringify(lines)} → ${raw.slice(0, 300)}`);
        assert.ok(status < 500 || status === 503, `${JSON.stringify(lines)} → ${raw.slice(0, 300)}`);
      }),
      { numRuns: 300 },
    );
    await stillUp();
    // The host-claimed routes still answer as before.
    const raw = await rawExchange(n.gatewayUrl, 'GET /plain/7 HTTP/1.1\r\nHost: fz.example.com\r\nConnection: close\r\n\r\n');
    assert.equal(statusOf(raw), 200, raw);
    assert.match(raw, /GET \/plain\/7$/);
  });
});
