/**
 * Test fixtures (root only): network namespaces made with `unshare`, a fake "public" host in one of
 * them, and a probe that connects from inside a namespace. Used by egress.test.ts; every process and
 * link it makes is removed by `dispose()`.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readlinkSync } from 'node:fs';
import { run } from './exec.js';

/**
 * A process alone in a new network namespace (`unshare --net sleep`). With `loopback` (the
 * default), lo is up with 127.0.0.1, as bubblewrap leaves it; without, lo is as the kernel makes
 * it (down, no address), as it is inside bubblewrap's namespace until bubblewrap has set it up.
 */
export async function netnsProcess(loopback = true): Promise<{ pid: number; dispose(): void }> {
  const child = spawn('unshare', ['--net', 'sleep', '600'], { stdio: 'ignore' });
  const pid = child.pid ?? -1;
  const own = readlinkSync('/proc/self/ns/net');
  for (let i = 0; i < 200; i++) {
    const ns = (() => {
      try {
        return readlinkSync(`/proc/${pid}/ns/net`);
      } catch {
        return own;
      }
    })();
    if (ns !== own) break;
    await new Promise((r) => setTimeout(r, 10));
  }
  if (loopback) await run('nsenter', ['-t', String(pid), '-n', 'ip', 'link', 'set', 'lo', 'up']);
  return { pid, dispose: () => void child.kill('SIGKILL') };
}

/** A "public internet" host: its own namespace at `address`, routed from the host through `ifname`, serving `hello` on `port`. */
export async function fakePublicHost(ifname: string, hostSide: string, address: string, port: number): Promise<{ dispose(): Promise<void> }> {
  const ns = await netnsProcess();
  await run('ip', ['link', 'add', ifname, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', String(ns.pid)]);
  await run('ip', ['-batch', '-'], `addr add ${hostSide}/24 dev ${ifname}\nlink set ${ifname} up\n`);
  await run('nsenter', ['-t', String(ns.pid), '-n', 'ip', '-batch', '-'], `link set lo up\naddr add ${address}/24 dev eth0\nlink set eth0 up\nroute add default via ${hostSide}\n`);
  const server: ChildProcess = spawn('nsenter', ['-t', String(ns.pid), '-n', process.execPath, '-e', `require('net').createServer((s) => s.end('hello')).listen(${port}, () => console.log('up'))`], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  await new Promise<void>((resolve) => server.stdout?.once('data', () => resolve()));
  return {
    dispose: async () => {
      server.kill('SIGKILL');
      ns.dispose();
      await run('ip', ['link', 'del', ifname]).catch(() => undefined);
    },
  };
}

/** What connecting from inside the namespace of `pid` gave: the reply, or the error code ('TIMEOUT' if it hung 5 s). */
export async function connectFrom(pid: number, host: string, port: number, send = '', prelude = ''): Promise<string> {
  const script = `(async () => { ${prelude}
const s = require('net').connect(${port}, ${JSON.stringify(host)});
let data = '';
const timer = setTimeout(() => { console.log('TIMEOUT'); process.exit(0); }, 5000);
s.on('connect', () => s.write(${JSON.stringify(send)}));
s.on('data', (d) => { data += d; if (${JSON.stringify(send)} !== '') s.end(); });
s.on('end', () => { clearTimeout(timer); console.log('ok:' + data.trim()); process.exit(0); });
s.on('error', (e) => { clearTimeout(timer); console.log(e.code); process.exit(0); });
})();`;
  return (await run('nsenter', ['-t', String(pid), '-n', process.execPath, '-e', script])).trim();
}
