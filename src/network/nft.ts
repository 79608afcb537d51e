/**
 * The node's nftables table, `inet nimbus_<tag>`: one per node, created at start, deleted at close,
 * and deleted at the next start of any node when the node that made it is gone.
 *
 * The node's veths are matched by name (`nb<tag>.*`), so a sandbox's link needs no rule change
 * to exist; traffic from them to the host itself (input hook) is refused unless an allow-list
 * names that address and port, and traffic into them is only replies. Sets, filled only for
 * functions whose policy is not the default:
 * - `restricted`: veths whose function may NOT reach the public internet (`egress: none` or a
 *   list); every other veth of the node may reach anything forwarded except `denied4` (private,
 *   loopback, CGNAT, link-local, multicast, reserved). A pooled process is `public` until the
 *   function it loads says otherwise (its policy is applied before the bundle loads).
 * - `allow4`: (veth, range, ports) triples of allow-list policies, checked first.
 * Everything else from a sandbox is rejected, TCP with a reset and the rest with ICMP
 * admin-prohibited, so a denied connection fails at once instead of hanging until a timeout.
 * NAT (masquerade) applies to what leaves through another interface.
 */
import { run } from './exec.js';
import { DENIED_IPV4 } from './policy.js';

export const TABLE_PREFIX = 'nimbus_';

/** The whole table, as one `nft -f` transaction (re-creating it if a previous run left it). */
export function tableScript(table: string, linkPrefix: string, comment: string): string {
  const ours = JSON.stringify(`${linkPrefix}*`);
  return `add table inet ${table}
delete table inet ${table}
table inet ${table} {
  comment ${JSON.stringify(comment)}
  set restricted { type ifname; }
  set allow4 { type ifname . ipv4_addr . inet_service; flags interval; }
  set denied4 { type ipv4_addr; flags interval; elements = { ${DENIED_IPV4.join(', ')} } }
  chain input {
    type filter hook input priority filter - 1; policy accept;
    iifname != ${ours} accept
    ct state established,related accept
    meta l4proto { tcp, udp } iifname . ip daddr . th dport @allow4 accept
    jump refuse
  }
  chain forward {
    type filter hook forward priority filter - 1; policy accept;
    oifname ${ours} ct state established,related accept
    oifname ${ours} jump refuse
    iifname != ${ours} accept
    meta nfproto ipv4 meta l4proto { tcp, udp } iifname . ip daddr . th dport @allow4 accept
    meta nfproto ipv4 iifname != @restricted ip daddr != @denied4 accept
    jump refuse
  }
  chain refuse {
    meta l4proto tcp reject with tcp reset
    reject with icmpx admin-prohibited
  }
  chain postrouting {
    type nat hook postrouting priority srcnat; policy accept;
    iifname ${ours} oifname != ${ours} masquerade
  }
}
`;
}

/** Apply an nft script (one atomic transaction). */
export async function nft(script: string): Promise<void> {
  await run('nft', ['-f', '-'], script);
}

/** Tables of the inet family named `nimbus_*`, with their comments. */
export async function nimbusTables(): Promise<{ name: string; comment: string }[]> {
  const out = await run('nft', ['-j', 'list', 'tables', 'inet']);
  const parsed = JSON.parse(out) as { nftables?: { table?: { name?: string; comment?: string } }[] };
  return (parsed.nftables ?? []).flatMap((item) => {
    const name = item.table?.name;
    return name?.startsWith(TABLE_PREFIX) ? [{ name, comment: item.table?.comment ?? '' }] : [];
  });
}

export async function deleteTable(table: string): Promise<void> {
  await nft(`add table inet ${table}\ndelete table inet ${table}\n`);
}

/** An ifname as an nft string literal (names are ours: [a-z0-9.]). */
export function ifLiteral(ifname: string): string {
  return JSON.stringify(ifname);
}
