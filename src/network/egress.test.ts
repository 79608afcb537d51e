/**
 * Finding 1 (network half): with real network namespaces, each egress policy lets through what it
 * names and refuses the rest at once. Needs root, iproute2, nftables and util-linux.
 */
import { strict as assert } from 'node:assert';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type AddressInfo, type Server } from 'node:net';
import { networkInterfaces, tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { available, run } from './exec.js';
import { NetworkEgress } from './egress.js';
import { connectFrom, fakePublicHost, netnsProcess } from './netns-fixture.js';

const PUBLIC = '203.0.113.10';
const REFUSED = new Set(['ECONNREFUSED', 'EHOSTUNREACH', 'ENETUNREACH']);
const FORWARD_JS = fileURLToPath(new URL('../sandbox/forward.js', import.meta.url));

async function missing(): Promise<string | undefined> {
  if (process.getuid?.() !== 0) return 'needs root: network namespaces, veths and nftables';
  for (const [tool, args] of [
    ['ip', ['-V']],
    ['nft', ['--version']],
    ['nsenter', ['--version']],
    ['unshare', ['--version']],
  ] as const)
    if (!(await available(tool, args))) return `needs ${tool}`;
  return undefined;
}

const skip = await missing();

describe('network egress (veth + nftables + forwarder)', { skip }, () => {
  let egress: NetworkEgress;
  let sandbox: { pid: number; dispose(): void };
  let publicHost: { dispose(): Promise<void> };
  let hostServer: Server;
  let hostPort = 0;
  let redis: Server;
  let redisPort = 0;
  let runDir: string;
  let ipForwardBefore = '';
  const suffix = process.pid.toString(36);

  const listen = async (server: Server, host: string): Promise<number> => {
    await new Promise<void>((resolve) => server.listen(0, host, resolve));
    return (server.address() as AddressInfo).port;
  };
  const from = (host: string, port: number, send = '', prelude = '') => connectFrom(sandbox.pid, host, port, send, prelude);
  const assertRefused = (got: string, what: string) => assert.ok(REFUSED.has(got), `${what}: expected a fast refusal, got ${got}`);

  before(async () => {
    ipForwardBefore = readFileSync('/proc/sys/net/ipv4/ip_forward', 'utf8');
    // Services of the host: one on every address, one on loopback only (answers like Redis).
    hostServer = createServer((s) => s.end('host'));
    hostPort = await listen(hostServer, '0.0.0.0');
    redis = createServer((s) => s.on('data', (d) => String(d).startsWith('PING') && s.end('+PONG\r\n')));
    redisPort = await listen(redis, '127.0.0.1');
    runDir = mkdtempSync(join(tmpdir(), 'nimbus-egress-'));
    publicHost = await fakePublicHost(`nbtp${suffix}`, '203.0.113.1', PUBLIC, 8080);
    egress = await NetworkEgress.start({ enableIpForward: true, resolve: async () => [PUBLIC] });
    sandbox = await netnsProcess();
    const started = performance.now();
    await egress.attach(sandbox.pid);
    console.log(`# attach (veth, addresses, route, default policy): ${(performance.now() - started).toFixed(1)} ms`);
  });

  after(async () => {
    await egress?.close();
    sandbox?.dispose();
    await publicHost?.dispose();
    hostServer?.close();
    redis?.close();
    if (runDir) rmSync(runDir, { recursive: true, force: true });
    if (ipForwardBefore) writeFileSync('/proc/sys/net/ipv4/ip_forward', ipForwardBefore);
  });

  it('public (the default): reaches a public host, never the host, its loopback or private ranges', async () => {
    assert.equal(await from(PUBLIC, 8080), 'ok:hello');
    // The sandbox's loopback is its own: the host's 127.0.0.1 services are not there.
    assertRefused(await from('127.0.0.1', redisPort, 'PING\r\n'), 'host loopback service');
    const hostAddresses = Object.values(networkInterfaces())
      .flat()
      .flatMap((a) => (a && a.family === 'IPv4' && !a.internal && !a.address.startsWith('10.213.') ? [a.address] : []));
    for (const address of hostAddresses) assertRefused(await from(address, hostPort), `host address ${address}`);
    const gateway = (await run('nsenter', ['-t', String(sandbox.pid), '-n', 'ip', '-j', 'route'])).match(/"gateway":"([\d.]+)"/)?.[1] ?? '';
    assertRefused(await from(gateway, hostPort), 'the host side of the veth');
    for (const address of ['10.1.2.3', '192.168.1.1', '172.16.0.1', '100.64.0.1', '169.254.169.254']) assertRefused(await from(address, 80), address);
  });

  it('none: nothing, not even a public host', async () => {
    await egress.apply(sandbox.pid, 'none');
    assertRefused(await from(PUBLIC, 8080), 'public host under none');
    assertRefused(await from('10.1.2.3', 80), 'private under none');
  });

  it('a list: only what it names (by address, CIDR or host name)', async () => {
    const started = performance.now();
    await egress.apply(sandbox.pid, [`${PUBLIC}:8080`]);
    console.log(`# prepare for an allow-list (one nft transaction): ${(performance.now() - started).toFixed(1)} ms`);
    assert.equal(await from(PUBLIC, 8080), 'ok:hello');
    assertRefused(await from(PUBLIC, 8081), 'an unlisted port');
    assertRefused(await from('10.1.2.3', 80), 'an unlisted private address');
    await egress.apply(sandbox.pid, ['203.0.113.0/24']);
    assert.equal(await from(PUBLIC, 8080), 'ok:hello');
    await egress.apply(sandbox.pid, ['public.example:8080']);
    assert.equal(await from(PUBLIC, 8080), 'ok:hello');
    await egress.apply(sandbox.pid, ['198.51.100.0/24']);
    assertRefused(await from(PUBLIC, 8080), 'a public host the list does not name');
  });

  it('a listed host service on loopback is reached through the forwarder, and only it', async () => {
    const forwards = await egress.apply(sandbox.pid, [`127.0.0.1:${redisPort}`], runDir, runDir);
    assert.equal(forwards.length, 1);
    const prelude = `await (await import(${JSON.stringify(FORWARD_JS)})).startForwards(${JSON.stringify(forwards)}, console.error);`;
    assert.equal(await from('127.0.0.1', redisPort, 'PING\r\n', prelude), 'ok:+PONG');
    assertRefused(await from(PUBLIC, 8080), 'public host under a service-only list');
    assertRefused(await from('127.0.0.1', hostPort, '', prelude), 'an unlisted host port');
  });

  it('back to public: the list and its forwarder are gone', async () => {
    const started = performance.now();
    await egress.apply(sandbox.pid, 'public');
    console.log(`# prepare back to public: ${(performance.now() - started).toFixed(1)} ms`);
    assert.equal(existsSync(join(runDir, 'fwd', `127.0.0.1_${redisPort}.sock`)), false);
    assert.equal(await from(PUBLIC, 8080), 'ok:hello');
  });

  it("leaves the namespace's loopback to the launcher, which may set it up after the attach", async () => {
    // bubblewrap adds 127.0.0.1 to lo exclusively, then brings lo up, just after it made the
    // namespace; the attach starts as soon as the namespace exists, so it may come first. Had the
    // attach brought lo up, the kernel would have given lo 127.0.0.1 and bubblewrap would exit.
    const fresh = await netnsProcess(false);
    try {
      await egress.attach(fresh.pid);
      const inside = (...args: string[]) => run('nsenter', ['-t', String(fresh.pid), '-n', 'ip', ...args]);
      await inside('addr', 'add', '127.0.0.1/8', 'dev', 'lo');
      await inside('link', 'set', 'lo', 'up');
      assert.match(await inside('-4', 'addr', 'show', 'dev', 'eth0'), /inet 10\.213\./, 'the sandbox end of the veth has its address');
      assert.equal(await connectFrom(fresh.pid, PUBLIC, 8080), 'ok:hello');
    } finally {
      fresh.dispose();
      await egress.detach(fresh.pid);
    }
  });

  it('close leaves no table, link, route or socket behind', async () => {
    await egress.apply(sandbox.pid, [`127.0.0.1:${redisPort}`], runDir, runDir);
    const table = egress.table;
    const prefix = egress.linkPrefix;
    const block = egress.block;
    await egress.close();
    assert.doesNotMatch(await run('nft', ['list', 'tables']), new RegExp(table));
    assert.doesNotMatch(await run('ip', ['link']), new RegExp(prefix.replace('.', '\\.')));
    // Only this node's own block: another Nimbus node on the host keeps its own.
    assert.ok(!(await run('ip', ['route'])).includes(`blackhole ${block}`), `the blackhole route of ${block} is gone`);
    assert.deepEqual(existsSync(join(runDir, 'fwd')) ? (await run('ls', [join(runDir, 'fwd')])).trim() : '', '');
    // The sandbox's end went with the host's: it has no way out at all now.
    assert.ok(REFUSED.has(await from(PUBLIC, 8080)) || (await from(PUBLIC, 8080)) === 'ENETUNREACH');
  });
});
