import { describe, it } from 'node:test';
import { strict as assert } from 'node:assert';
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { NimbusError } from '../shared/errors.js';
import { haproxyConfig, parseNodeArg } from './haproxy.js';

const HAPROXY = '/usr/sbin/haproxy';
const nodes = [parseNodeArg('a=http://10.0.0.1:8080'), parseNodeArg('b=http://10.0.0.2:8080'), parseNodeArg('node-3=http://db.local')];

describe('haproxy config', () => {
  it('hashes the URI path consistently with bounded load and checks /healthz, one server per node', () => {
    const text = haproxyConfig(nodes);
    for (const line of [
      'balance uri',
      'hash-type consistent',
      'hash-balance-factor 150',
      'option httpchk GET /healthz',
      'http-check expect status 200',
      'default-server inter 1s fall 2 rise 2 init-addr last,libc,none',
    ])
      assert.match(text, new RegExp(`^    ${line}$`, 'm'));
    assert.deepEqual(
      text.split('\n').filter((l) => l.startsWith('    server ')),
      ['    server a 10.0.0.1:8080 check', '    server b 10.0.0.2:8080 check', '    server node-3 db.local:80 check'],
    );
    assert.doesNotMatch(text, /nimbus_admins/);
  });

  it('refuses a node without a URL, a non-http URL, or no nodes at all', () => {
    const bad = (f: () => unknown) => assert.throws(f, (e: unknown) => e instanceof NimbusError && e.code === 'BAD_REQUEST');
    bad(() => parseNodeArg('http://10.0.0.1:8080'));
    bad(() => haproxyConfig([{ id: 'a', url: 'https://x:1' }]));
    bad(() => haproxyConfig([{ id: 'a', url: 'nope' }]));
    bad(() => haproxyConfig([]));
  });

  it('is accepted by haproxy -c, with and without the admin frontend', { skip: existsSync(HAPROXY) ? false : `${HAPROXY} is not installed` }, async () => {
    const dir = await mkdtemp(join(tmpdir(), 'nimbus-haproxy-'));
    try {
      for (const [name, text] of [
        ['gw.cfg', haproxyConfig(nodes, { bind: '127.0.0.1:18080' })],
        ['admin.cfg', haproxyConfig(nodes, { admin: { nodes: nodes.map((n) => ({ ...n, url: n.url.replace('8080', '8081') })) } })],
      ] as const) {
        const file = join(dir, name);
        await writeFile(file, text);
        const r = await promisify(execFile)(HAPROXY, ['-c', '-f', file]);
        assert.match(r.stdout + r.stderr, /Configuration file is valid/);
      }
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
