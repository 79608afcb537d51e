/**
 * `NetworkEgress`: the node's enforcement of `network: { egress }` for sandboxes that live in their
 * own network namespace. One nftables table per node (nft.ts), one address block per node and one
 * veth pair per sandbox (links.ts), forwarders for allow-listed host services (forwarder.ts).
 *
 * A sandbox's life here: attach (veth, addresses, default route, policy `public`: done while the
 * process is pre-warmed, off the request path) → apply (the function's policy: a change of nft set
 * elements in one transaction, plus forwarders; at prepare time) → detach (elements, link and
 * forwarders removed when the process exits). Requires root (CAP_NET_ADMIN), `ip`, `nsenter`, `nft`.
 */
import { lookup } from 'node:dns/promises';
import { isIPv4 } from 'node:net';
import { available, run } from './exec.js';
import { Forwarder, type Forward } from './forwarder.js';
import { addressOf, BLOCK_BITS, blockBase, blockCount, claimBlock, createVeth, deleteLink, ipForward, linksNamed, releaseBlock, SANDBOXES_PER_BLOCK, type SandboxAddress } from './links.js';
import { deleteTable, ifLiteral, nft, nimbusTables, tableScript } from './nft.js';
import { parseEgressEntry, type EgressSetting } from './policy.js';

export interface EgressOptions {
  /** IPv4 subnet sandboxes get addresses from, /21 or larger; each node claims a /21 of it. Default 10.213.0.0/16. */
  subnet?: string;
  /** Turn `net.ipv4.ip_forward` on when it is off (public and allow-list egress need it). Default false: report it. */
  enableIpForward?: boolean;
  /** DNS for `hostname:port` entries (IPv4 addresses). Default: the system resolver. */
  resolve?: (host: string) => Promise<string[]>;
  log?: (line: string) => void;
}

/** What the node reports among its isolation layers. */
export interface LayerReport {
  layer: 'egress';
  ok: boolean;
  detail: string;
}

/** Default subnet: clear of Docker (172.17+/16, 192.168), Kubernetes/k3s (10.42-43, 10.96, 10.244) and Tailscale (100.64/10) defaults. */
export const DEFAULT_SUBNET = '10.213.0.0/16';
/** Where a sandbox's run dir appears inside it. */
export const SANDBOX_RUN_DIR = '/run/nimbus';

interface Attachment {
  pid: number;
  address: SandboxAddress;
  index: number;
  /** The nft elements this sandbox's policy added (to delete them on change or detach). */
  /** In the `restricted` set: its function may not reach the public internet. */
  restricted: boolean;
  allow: string[];
  forwarders: Forwarder[];
}

let instances = 0;

export class NetworkEgress {
  private readonly attachments = new Map<number, Promise<Attachment>>();
  /** Veths are made one at a time: concurrent `ip` runs only contend for the kernel's RTNL lock. */
  private creating: Promise<unknown> = Promise.resolve();
  private readonly free: number[] = [];
  private next = 0;
  private closed = false;

  private constructor(
    /** The node's nftables table (`inet`). */
    readonly table: string,
    private readonly tag: string,
    private readonly blockNet: string,
    private readonly forwarding: boolean,
    private readonly options: EgressOptions,
  ) {}

  /**
   * Check the tools, delete dead nodes' leftovers, claim an address block, create the table.
   * @throws Error when not root, a tool is missing, or no block of the subnet is free.
   */
  static async start(options: EgressOptions = {}): Promise<NetworkEgress> {
    if (process.getuid?.() !== 0) throw new Error('network egress control needs root (CAP_NET_ADMIN)');
    for (const [tool, args] of [
      ['ip', ['-V']],
      ['nft', ['--version']],
      ['nsenter', ['--version']],
    ] as const)
      if (!(await available(tool, args))) throw new Error(`network egress control needs \`${tool}\` (iproute2, nftables, util-linux)`);
    const subnet = options.subnet ?? DEFAULT_SUBNET;
    const [base = '', bits = ''] = subnet.split('/');
    if (!isIPv4(base) || !/^\d+$/.test(bits) || blockCount(subnet) === 0) throw new Error(`network: subnet "${subnet}" must be an IPv4 CIDR of /${BLOCK_BITS} or larger (e.g. ${DEFAULT_SUBNET})`);
    await cleanLeftovers(subnet);
    // The pid in base 36 (lower case, so it may hold an `x`), then `X<n>` for a second egress in one process.
    const tag = `${process.pid.toString(36)}${instances > 0 ? `X${instances}` : ''}`;
    instances++;
    for (let block = 0; block < blockCount(subnet); block++) {
      const net = blockBase(subnet, block);
      if (!(await claimBlock(net))) continue;
      const table = `nimbus_${tag}_${block}`;
      try {
        await nft(tableScript(table, `nb${tag}.`, `nimbus node pid ${process.pid}, sandboxes ${net}/${BLOCK_BITS}`));
      } catch (err) {
        await releaseBlock(net);
        throw err;
      }
      let forwarding = await ipForward();
      if (!forwarding && options.enableIpForward) {
        forwarding = await ipForward(true);
        options.log?.('network: turned net.ipv4.ip_forward on (sandbox egress)');
      }
      return new NetworkEgress(table, tag, net, forwarding, options);
    }
    throw new Error(`network egress control: every /${BLOCK_BITS} block of ${subnet} is taken (other nodes?); pass another subnet`);
  }

  /** The node's share of the subnet (its blackhole route), e.g. `10.213.0.0/21`. */
  get block(): string {
    return `${this.blockNet}/${BLOCK_BITS}`;
  }

  /** Host-side veth names of this node start with this. */
  get linkPrefix(): string {
    return `nb${this.tag}.`;
  }

  /** The "network egress" layer as the node reports it. */
  async probe(): Promise<LayerReport> {
    const notes: string[] = [];
    if (!this.forwarding) notes.push('net.ipv4.ip_forward is off: sandboxes reach nothing outside (start with --ip-forward or set the sysctl)');
    const blocked = await forwardDropPolicy();
    if (blocked) notes.push(`${blocked}: forwarded sandbox traffic may be dropped there (allow it, e.g. iptables -I DOCKER-USER -i nb+ -j ACCEPT)`);
    const ok = notes.length === 0;
    return { layer: 'egress', ok, detail: ok ? `per-function egress policy (nftables table ${this.table}, sandboxes in ${this.blockNet}/${BLOCK_BITS})` : notes.join('; ') };
  }

  /** Give the sandbox whose namespace holds `pid` its veth, addresses and the default policy (`public`). Idempotent. */
  attach(pid: number): Promise<Attachment> {
    let attached = this.attachments.get(pid);
    if (!attached) {
      attached = this.creating.then(() => this.createAttachment(pid));
      this.creating = attached.catch(() => undefined);
      this.attachments.set(pid, attached);
      attached.catch(() => this.attachments.delete(pid));
    }
    return attached;
  }

  /**
   * Apply a function's policy to an attached sandbox: returns the forwards the shim must open
   * (empty unless the list names host services). `runDir`: host folder seen at `sandboxRunDir` inside.
   */
  async apply(pid: number, egress: EgressSetting, runDir?: string, sandboxRunDir = SANDBOX_RUN_DIR): Promise<Forward[]> {
    const att = await this.attach(pid);
    const rules = Array.isArray(egress) ? egress.map(parseEgressEntry) : [];
    const services = rules.flatMap((r) => (r.kind === 'service' ? [r] : []));
    if (services.length > 0 && runDir === undefined) throw new Error('egress entries naming host services need a per-process run dir (mount namespace) for the forwarder');
    const allow: string[] = [];
    for (const r of rules) {
      const ports = (port: number | undefined) => (port === undefined ? '0-65535' : String(port));
      if (r.kind === 'cidr') allow.push(`${ifLiteral(att.address.ifname)} . ${r.cidr} . ${ports(r.port)}`);
      if (r.kind === 'host') for (const ip of await this.resolve(r.host)) allow.push(`${ifLiteral(att.address.ifname)} . ${ip} . ${r.port}`);
    }
    const wantPublic = egress === 'public';
    const lines: string[] = [];
    const set = (name: string, elements: string[], verb: 'add' | 'delete') => elements.length > 0 && lines.push(`${verb} element inet ${this.table} ${name} { ${elements.join(', ')} }`);
    if (att.restricted && wantPublic) set('restricted', [ifLiteral(att.address.ifname)], 'delete');
    if (!att.restricted && !wantPublic) set('restricted', [ifLiteral(att.address.ifname)], 'add');
    set('allow4', att.allow, 'delete');
    set('allow4', allow, 'add');
    if (lines.length > 0) await nft(`${lines.join('\n')}\n`);
    att.restricted = !wantPublic;
    att.allow = allow;
    await Promise.all(att.forwarders.splice(0).map((f) => f.close()));
    const forwards: Forward[] = [];
    for (const s of services) {
      const forwarder = await Forwarder.open(runDir ?? '', s);
      att.forwarders.push(forwarder);
      forwards.push({ host: s.host, port: s.port, socket: `${sandboxRunDir}/fwd/${forwarder.path.split('/').pop() ?? ''}` });
    }
    return forwards;
  }

  /** Remove the sandbox's elements, link and forwarders (the process is gone or going). */
  async detach(pid: number): Promise<void> {
    const attached = this.attachments.get(pid);
    if (!attached) return;
    this.attachments.delete(pid);
    const att = await attached.catch(() => undefined);
    if (!att) return;
    await Promise.all(att.forwarders.map((f) => f.close()));
    const name = ifLiteral(att.address.ifname);
    const lines: string[] = [];
    if (att.restricted) lines.push(`delete element inet ${this.table} restricted { ${name} }`);
    if (att.allow.length > 0) lines.push(`delete element inet ${this.table} allow4 { ${att.allow.join(', ')} }`);
    await deleteLink(att.address.ifname);
    if (!this.closed && lines.length > 0) await nft(`${lines.join('\n')}\n`).catch((err: Error) => this.options.log?.(`network: ${err.message}`));
    this.free.push(att.index);
  }

  /** Detach every sandbox, delete the table, release the block. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await Promise.all([...this.attachments.keys()].map((pid) => this.detach(pid)));
    await deleteTable(this.table).catch(() => undefined);
    for (const link of await linksNamed(this.linkPrefix).catch(() => [])) await deleteLink(link);
    await releaseBlock(this.blockNet);
  }

  private async createAttachment(pid: number): Promise<Attachment> {
    if (this.closed) throw new Error('network egress control is closed');
    const index = this.free.shift() ?? this.next++;
    if (index >= SANDBOXES_PER_BLOCK) throw new Error(`network: more than ${SANDBOXES_PER_BLOCK} sandboxes on this node`);
    const address = addressOf(this.blockNet, this.tag, index);
    // Matched by name (nb<tag>.*) from the moment it exists: never up without the node's rules.
    try {
      await createVeth(pid, address);
    } catch (err) {
      this.free.push(index);
      throw err;
    }
    return { pid, address, index, restricted: false, allow: [], forwarders: [] };
  }

  private async resolve(host: string): Promise<string[]> {
    if (this.options.resolve) return this.options.resolve(host);
    const found = await lookup(host, { all: true, family: 4 });
    return [...new Set(found.map((a) => a.address))];
  }
}

/**
 * Delete tables, links and blocks of nodes whose process is gone (`nimbus_<pid36>[X<n>]_<block>`):
 * a node killed with SIGKILL leaves them until the next node on the host starts (or tests clean up).
 */
export async function cleanLeftovers(subnet: string = DEFAULT_SUBNET): Promise<void> {
  for (const { name } of await nimbusTables()) {
    const owner = tableOwner(name);
    if (!owner || isAlive(owner.pid)) continue;
    await deleteTable(name).catch(() => undefined);
    for (const link of await linksNamed(`nb${owner.tag}.`)) await deleteLink(link);
    await releaseBlock(blockBase(subnet, owner.block));
  }
}

/**
 * The node a table belongs to: its pid, its tag (link prefix `nb<tag>.`) and its block. Upper-case
 * X: a lower-case one may be part of the pid (`nimbus_dx3_1` is pid 18039, not pid 13's third egress).
 */
export function tableOwner(name: string): { pid: number; tag: string; block: number } | undefined {
  const m = /^nimbus_([0-9a-z]+)(X\d+)?_(\d+)$/.exec(name);
  if (!m) return undefined;
  return { pid: parseInt(m[1] ?? '', 36), tag: `${m[1] ?? ''}${m[2] ?? ''}`, block: Number(m[3]) };
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** `iptables` FORWARD policy DROP (Docker sets it) drops what our table accepts. */
async function forwardDropPolicy(): Promise<string | undefined> {
  for (const tool of ['iptables', 'iptables-legacy']) {
    const out = await run(tool, ['-S', 'FORWARD']).catch(() => '');
    if (/^-P FORWARD DROP/m.test(out)) return `${tool} FORWARD policy is DROP`;
  }
  return undefined;
}
