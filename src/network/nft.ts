/**
 * The node's nftables table, `inet nimbus_<tag>`: one per node, created at start, deleted at close,
 * and deleted at the next start of any node when the node that made it is gone.
 *
 * Sets, filled per sandbox veth (host side) as instances come and go:
 * - `sandboxes`: every veth of this node. Traffic from them to the host itself (input hook) is
 *   refused unless an allow-list names that address and port; traffic into them is only replies.
 * - `public`: veths whose function may reach the public internet (`egress: public`): anything
 *   forwarded except `denied4` (private, loopback, CGNAT, link-local, multicast, reserved).
 * - `allow4`: (veth, range, ports) triples of allow-list policies, checked first.
 * Everything else from a sandbox is rejected, TCP with a reset and the rest with ICMP
 * admin-prohibited, so a denied connection fails at once instead of hanging until a timeout.
 * NAT (masquerade) applies to what leaves through another interface.
 */
import { run } from './exec.js';
import { DENIED_IPV4 } from './policy.js';

export const TABLE_PREFIX = 'nimbus_';

/** The whole table, as one `nft -f` transaction (re-creating it if a previous run left it). */
export function tableScript(table: string, comment: string): string {
  return `add table inet ${table}
delete table inet ${table}
table inet ${table} {
  comment ${JSON.stringify(comment)}
  set sandboxes { type ifname; }
  set public { type ifname; }
  set allow4 { type ifname . ipv4_addr . inet_service; flags interval; }
  set denied4 { type ipv4_addr; flags interval; elements = { ${DENIED_IPV4.join(', ')} } }
  chain input {
    type filter hook input priority filter - 1; policy accept;
    iifname != @sandboxes accept
    ct state established,related accept
    meta l4proto { tcp, udp } iifname . ip daddr . th dport @allow4 accept
    jump refuse
  }
  chain forward {
    type filter hook forward priority filter - 1; policy accept;
    oifname @sandboxes ct state established,related accept
    oifname @sandboxes jump refuse
    iifname != @sandboxes accept
    meta nfproto ipv4 meta l4proto { tcp, udp } iifname . ip daddr . th dport @allow4 accept
    meta nfproto ipv4 iifname @public ip daddr != @denied4 accept
    jump refuse
  }
  chain refuse {
    meta l4proto tcp reject with tcp reset
    reject with icmpx admin-prohibited
  }
  chain postrouting {
    type nat hook postrouting priority srcnat; policy accept;
    iifname @sandboxes oifname != @sandboxes masquerade
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
