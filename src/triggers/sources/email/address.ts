/**
 * Email addresses a trigger may claim, and routing a recipient to the trigger that claims it.
 * Grammar (lower-cased when parsed, since domains are case-insensitive and we choose to treat
 * local parts so too, as every common mail host does): `local@domain` or `*@domain`.
 * A recipient goes to the exact address first, then to its domain's `*@` pattern.
 */

// Dot-atom local part (RFC 5322, without quoted strings) and a host name with at least one dot.
const LOCAL = /^[a-z0-9!#$%&'*+/=?^_`{|}~-]+(\.[a-z0-9!#$%&'*+/=?^_`{|}~-]+)*$/;
const DOMAIN = /^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]([a-z0-9-]{0,61}[a-z0-9])?$/;

/** Why `pattern` is not a claimable address, or null. */
export function emailAddressProblem(pattern: string): string | null {
  const at = pattern.lastIndexOf('@');
  const example = 'e.g. "orders@shop.example" or "*@support.shop.example"';
  if (at <= 0) return `must be an email address or "*@domain", ${example}`;
  const local = pattern.slice(0, at).toLowerCase();
  const domain = pattern.slice(at + 1).toLowerCase();
  if (!DOMAIN.test(domain)) return `"${domain}" is not a domain name (letters, digits, "-", at least one dot): ${example}`;
  if (local === '*') return null;
  if (local.includes('*')) return `"*" may only stand for the whole local part ("*@${domain}"), not part of it`;
  if (local.length > 64 || !LOCAL.test(local))
    return `"${local}" is not a valid local part (letters, digits, . ! # $ % & ' * + / = ? ^ _ \` { | } ~ -, no leading, trailing or double dot): ${example}`;
  return null;
}

/** The canonical form stored in a trigger. */
export function normalizeEmailAddress(pattern: string): string {
  return pattern.trim().toLowerCase();
}

/** Addresses and `*@domain` patterns → a target, exact before wildcard. */
export class EmailRoutes<T> {
  private readonly exact = new Map<string, T>();
  private readonly domains = new Map<string, T>();

  /** First claim wins (deploy refuses a second app claiming the same pattern). */
  add(pattern: string, target: T): void {
    const p = normalizeEmailAddress(pattern);
    const map = p.startsWith('*@') ? this.domains : this.exact;
    const key = p.startsWith('*@') ? p.slice(2) : p;
    if (!map.has(key)) map.set(key, target);
  }

  /** The target of an envelope recipient, or undefined (the server answers 550). */
  match(recipient: string): T | undefined {
    const r = normalizeEmailAddress(recipient);
    const at = r.lastIndexOf('@');
    if (at <= 0) return undefined;
    return this.exact.get(r) ?? this.domains.get(r.slice(at + 1));
  }

  get size(): number {
    return this.exact.size + this.domains.size;
  }
}
