/**
 * The grammar of `network: { egress: … }` entries and what each one means to the node. Pure: the
 * manifest validates entries with it and the node turns them into nftables elements and forwarders.
 *
 * An entry is one of
 * - `CIDR` or a bare IPv4 address: every port of that range (`203.0.113.0/24`, `198.51.100.7`);
 * - `CIDR:port` or `address:port`: one port of it (`10.0.0.0/8:5432`, `203.0.113.10:443`);
 * - `hostname:port`: one port of the addresses the name resolves to when an instance is prepared;
 * - a loopback service, `127.0.0.1:5432`, `localhost:6379` or `[::1]:6379`: the host's own service,
 *   reached through a forwarder the node runs (the sandbox's own loopback is not the host's).
 */
import { isIPv4, isIPv6 } from 'node:net';

/** As stored in a FunctionConfig (absent: `public`). */
export type EgressSetting = 'none' | 'public' | string[];

export type EgressRule =
  /** Routed through the sandbox's veth and allowed by nftables; `port` undefined = every port. */
  | { kind: 'cidr'; cidr: string; port: number | undefined }
  /** A DNS name, resolved to addresses (then treated as `cidr` /32 entries) when an instance is prepared. */
  | { kind: 'host'; host: string; port: number }
  /** A loopback service of the host, reached through the node's forwarder. */
  | { kind: 'service'; host: string; port: number };

/** Most entries one function may list (each becomes nftables elements on every instance). */
export const MAX_EGRESS_ENTRIES = 64;

/**
 * What `public` never reaches (IPv4): "this" network, RFC 1918, CGNAT, loopback, link-local, IETF
 * protocol assignments, benchmarking, multicast and reserved. The host's own addresses are refused by
 * the input hook whatever range they are in.
 */
export const DENIED_IPV4 = ['0.0.0.0/8', '10.0.0.0/8', '100.64.0.0/10', '127.0.0.0/8', '169.254.0.0/16', '172.16.0.0/12', '192.0.0.0/24', '192.168.0.0/16', '198.18.0.0/15', '224.0.0.0/3'] as const;

const HOSTNAME = /^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*$/i;

/**
 * Parse one entry.
 * @throws Error whose message says what is wrong and what a good entry looks like.
 * @example parseEgressEntry('127.0.0.1:5432') // { kind: 'service', host: '127.0.0.1', port: 5432 }
 */
export function parseEgressEntry(entry: string): EgressRule {
  const text = entry.trim();
  if (text === '') throw new Error('an egress entry must not be empty');
  const bracket = /^\[([^\]]+)\](?::(.*))?$/.exec(text);
  if (bracket) return ipv6Entry(bracket[1] ?? '', bracket[2]);
  if (isIPv6(text.split('/')[0] ?? '')) return ipv6Entry(text, undefined);
  const slash = text.indexOf('/');
  if (slash >= 0) {
    // CIDR or CIDR:port
    const address = text.slice(0, slash);
    const [bits, port, ...rest] = text.slice(slash + 1).split(':');
    if (rest.length > 0 || bits === undefined) throw new Error(`"${entry}" is not a CIDR or CIDR:port (e.g. 203.0.113.0/24 or 10.0.0.0/8:5432)`);
    return cidrRule(entry, address, bits, port === undefined ? undefined : parsePort(entry, port));
  }
  const colon = text.lastIndexOf(':');
  const host = colon < 0 ? text : text.slice(0, colon);
  const port = colon < 0 ? undefined : parsePort(entry, text.slice(colon + 1));
  if (isIPv4(host)) {
    if (isLoopback4(host)) return serviceRule(entry, host, port);
    return cidrRule(entry, host, '32', port);
  }
  if (host.toLowerCase() === 'localhost') return serviceRule(entry, '127.0.0.1', port);
  if (!HOSTNAME.test(host)) throw new Error(`"${entry}" is not host:port, an IPv4 address, CIDR or CIDR:port (e.g. api.example.com:443, 203.0.113.0/24, 127.0.0.1:5432)`);
  if (port === undefined) throw new Error(`"${entry}" names a host without a port: write ${host}:<port> (e.g. ${host}:443)`);
  return { kind: 'host', host: host.toLowerCase(), port };
}

/** Every entry of a list, with the index of each bad one. */
export function egressIssues(entries: readonly string[]): { index: number; message: string }[] {
  const issues: { index: number; message: string }[] = [];
  entries.forEach((entry, index) => {
    try {
      parseEgressEntry(entry);
    } catch (err) {
      issues.push({ index, message: (err as Error).message });
    }
  });
  return issues;
}

/** Is this IPv4 address in one of the ranges `public` never reaches? */
export function isDeniedIPv4(address: string): boolean {
  const n = ipv4ToInt(address);
  return DENIED_IPV4.some((cidr) => {
    const [base = '', bits = '32'] = cidr.split('/');
    const mask = maskOf(Number(bits));
    return (n & mask) >>> 0 === ipv4ToInt(base);
  });
}

export function ipv4ToInt(address: string): number {
  return address.split('.').reduce((acc, part) => ((acc << 8) | Number(part)) >>> 0, 0);
}

export function intToIPv4(n: number): string {
  return [24, 16, 8, 0].map((shift) => (n >>> shift) & 255).join('.');
}

export function maskOf(bits: number): number {
  return bits === 0 ? 0 : (0xffffffff << (32 - bits)) >>> 0;
}

function cidrRule(entry: string, address: string, bits: string, port: number | undefined): EgressRule {
  if (!isIPv4(address)) throw new Error(`"${entry}": "${address}" is not an IPv4 address`);
  if (!/^\d{1,2}$/.test(bits) || Number(bits) > 32) throw new Error(`"${entry}": the prefix length must be 0 to 32`);
  const prefix = Number(bits);
  const base = (ipv4ToInt(address) & maskOf(prefix)) >>> 0;
  if (base !== ipv4ToInt(address)) throw new Error(`"${entry}" has bits set after the /${prefix} prefix: did you mean ${intToIPv4(base)}/${prefix}?`);
  if (isLoopback4(address)) {
    if (prefix === 32 && port !== undefined) return { kind: 'service', host: address, port };
    throw new Error(`"${entry}": the host's loopback is reached one service at a time, through a forwarder: name an address and port (e.g. 127.0.0.1:5432)`);
  }
  return { kind: 'cidr', cidr: `${address}/${prefix}`, port };
}

function serviceRule(entry: string, host: string, port: number | undefined): EgressRule {
  if (port === undefined) throw new Error(`"${entry}": the host's loopback is reached one service at a time, through a forwarder: add a port (e.g. ${entry}:5432)`);
  return { kind: 'service', host, port };
}

function ipv6Entry(address: string, port: string | undefined): EgressRule {
  const entry = port === undefined ? address : `[${address}]:${port}`;
  if (address === '::1' && port !== undefined) return { kind: 'service', host: '::1', port: parsePort(entry, port) };
  if (!isIPv6(address.split('/')[0] ?? '')) throw new Error(`"${entry}" is not an IPv6 address in brackets (e.g. [::1]:6379)`);
  throw new Error(`"${entry}": sandboxes have IPv4 egress only; of IPv6, only the host's [::1]:<port> services can be listed`);
}

function parsePort(entry: string, text: string): number {
  if (!/^\d{1,5}$/.test(text) || Number(text) < 1 || Number(text) > 65535) throw new Error(`"${entry}": the port must be a number from 1 to 65535 (got "${text}")`);
  return Number(text);
}

function isLoopback4(address: string): boolean {
  return address.startsWith('127.');
}
