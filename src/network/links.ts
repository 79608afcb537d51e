/**
 * The veth pair of one sandbox and the node's address block, with iproute2. Host side `nb<tag>.<n>`
 * holds `<base+1>/30`; the sandbox side, created directly inside the sandbox's network namespace
 * (by pid), is `eth0` with `<base+2>/30` and a default route via the host side. The kernel deletes
 * both ends when the namespace dies, so a crashed sandbox leaves no link behind.
 */
import { run } from './exec.js';
import { intToIPv4, ipv4ToInt, maskOf } from './policy.js';

/** A node's share of the sandbox subnet: a /21, 512 sandboxes of a /30 each (32 nodes in a /16). */
export const BLOCK_BITS = 21;
export const SANDBOXES_PER_BLOCK = 2 ** (32 - BLOCK_BITS) / 4;

export interface SandboxAddress {
  ifname: string;
  host: string;
  sandbox: string;
}

/** The block's network address, e.g. block 1 of 10.213.0.0/16 → 10.213.16.0. */
export function blockBase(subnet: string, block: number): string {
  const [base = '', bits = ''] = subnet.split('/');
  return intToIPv4(((ipv4ToInt(base) & maskOf(Number(bits))) >>> 0) + block * 2 ** (32 - BLOCK_BITS));
}

export function blockCount(subnet: string): number {
  const bits = Number(subnet.split('/')[1]);
  return bits > BLOCK_BITS ? 0 : 2 ** (BLOCK_BITS - bits);
}

export function addressOf(blockNet: string, tag: string, index: number): SandboxAddress {
  const base = ipv4ToInt(blockNet) + index * 4;
  return { ifname: `nb${tag}.${index.toString(36)}`, host: intToIPv4(base + 1), sandbox: intToIPv4(base + 2) };
}

/**
 * Claim a block for this node: a blackhole route for it (more specific /30 routes of the veths win).
 * `ip route add` fails if another node holds it, so two nodes on one host never share addresses.
 */
export async function claimBlock(blockNet: string): Promise<boolean> {
  try {
    await run('ip', ['route', 'add', 'blackhole', `${blockNet}/${BLOCK_BITS}`]);
    return true;
  } catch {
    return false;
  }
}

export async function releaseBlock(blockNet: string): Promise<void> {
  await run('ip', ['route', 'del', 'blackhole', `${blockNet}/${BLOCK_BITS}`]).catch(() => undefined);
}

/** Create the pair with the sandbox end already inside the namespace of `pid`, and configure both ends. */
export async function createVeth(pid: number, a: SandboxAddress): Promise<void> {
  // One spawn from the node per sandbox (it runs for every pooled process): forking the node is the
  // costly part, so a small shell runs both batches, the host side and then the inside (eth0 and
  // the default route). IPv4 only: no IPv6 link-local addresses, so no duplicate-address
  // detection or router solicitations per link.
  // Never `lo`: it is the launcher's. bubblewrap adds 127.0.0.1 to lo (exclusively) and brings it up
  // just after it made the namespace, and this may run before that: lo brought up from here gets
  // 127.0.0.1 from the kernel at once, and bubblewrap then exits ("loopback: Failed RTM_NEWADDR"),
  // which was a rare FUNCTION_INIT_ERROR under load.
  const host = `link add ${a.ifname} type veth peer name eth0 netns ${pid}\nlink set ${a.ifname} addrgenmode none\naddr add ${a.host}/30 dev ${a.ifname}\nlink set ${a.ifname} up\n`;
  const inside = `link set eth0 addrgenmode none\naddr add ${a.sandbox}/30 dev eth0\nlink set eth0 up\nroute add default via ${a.host} dev eth0\n`;
  try {
    await run('sh', ['-c', 'printf %s "$1" | ip -batch - && printf %s "$2" | nsenter -t "$3" -n ip -batch -', 'nimbus-veth', host, inside, String(pid)]);
  } catch (err) {
    await deleteLink(a.ifname);
    throw err;
  }
}

export async function deleteLink(ifname: string): Promise<void> {
  await run('ip', ['link', 'del', ifname]).catch(() => undefined);
}

/** Host-side links whose name starts with `prefix` (a dead node's leftovers). */
export async function linksNamed(prefix: string): Promise<string[]> {
  const out = await run('ip', ['-j', 'link', 'show', 'type', 'veth']);
  const links = JSON.parse(out || '[]') as { ifname?: string }[];
  return links.flatMap((l) => (l.ifname?.startsWith(prefix) ? [l.ifname] : []));
}

/** Read or set `net.ipv4.ip_forward` (needed for anything to leave a sandbox). */
export async function ipForward(enable?: boolean): Promise<boolean> {
  const { readFile, writeFile } = await import('node:fs/promises');
  const file = '/proc/sys/net/ipv4/ip_forward';
  if (enable) await writeFile(file, '1\n');
  return (await readFile(file, 'utf8')).trim() === '1';
}
