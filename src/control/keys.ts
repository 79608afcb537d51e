/**
 * API keys (issue 9). A key is `nmb_<name>_<43 characters of base64url>`: 256 random bits, shown
 * once by `POST /v1/keys`. The store keeps only HMAC-SHA-256(server secret, key) — the secret
 * is `key-hmac.secret` in the data dir — so a copy of the database (or a backup) holds nothing
 * a caller could send, and an index lookup on the HMAC finds the key without scanning. The
 * admin key of `admin.key` is checked apart (as before) and has scope admin.
 */
import { createHash, createHmac, randomBytes, randomUUID, timingSafeEqual } from 'node:crypto';
import type { ApiKeyRecord, Scope } from '../domain/index.js';
import { NimbusError } from '../shared/errors.js';
import type { Store } from '../store/index.js';
import type { Principal } from './principal.js';

export interface KeyServiceOptions {
  /** The contents of admin.key. */
  adminKey: string;
  /** The HMAC secret (32 random bytes, key-hmac.secret). */
  secret: Buffer;
  store: Store;
  clock?: () => number;
}

export interface NewKey {
  name: string;
  scope: Scope;
  apps: string[];
  expiresAt: number | null;
}

/** The admin key of admin.key, as a caller. */
export const ADMIN: Principal = { id: 'admin', name: 'admin.key', scope: 'admin', apps: [] };
/** Characters of the random part shown in the prefix: enough to tell keys apart, far too few to guess the rest. */
const PREFIX_CHARS = 4;
/** Last use is written at most this often per key, so a busy CI key does not write on every call. */
const TOUCH_EVERY_MS = 60_000;

export class KeyService {
  readonly #adminDigest: Buffer;
  readonly #clock: () => number;

  constructor(private readonly o: KeyServiceOptions) {
    this.#adminDigest = sha256(o.adminKey);
    this.#clock = o.clock ?? Date.now;
  }

  /** The caller a bearer key stands for; undefined for an unknown, expired or revoked key. */
  async authenticate(bearer: string): Promise<Principal | undefined> {
    // Digests of equal length, compared in constant time: the admin key's bytes never leak by timing.
    if (timingSafeEqual(sha256(bearer), this.#adminDigest)) return ADMIN;
    if (!bearer.startsWith('nmb_')) return undefined;
    const hash = this.hmac(bearer);
    const found = await this.o.store.findKeyByHash(hash.toString('hex'));
    // The lookup compares HMACs the caller cannot choose; the constant-time check is belt and braces.
    if (!found || !timingSafeEqual(Buffer.from(found.hash, 'hex'), hash)) return undefined;
    const now = this.#clock();
    if (found.revokedAt !== null || (found.expiresAt !== null && now >= found.expiresAt)) return undefined;
    if (found.lastUsedAt === null || now - found.lastUsedAt >= TOUCH_EVERY_MS) await this.o.store.touchKey(found.id, now);
    return { id: found.id, name: found.prefix, scope: found.scope, apps: found.apps };
  }

  /** A new key: the plaintext is returned here once and stored nowhere. */
  async create(input: NewKey): Promise<{ key: string; record: ApiKeyRecord }> {
    if (input.scope === 'admin' && input.apps.length > 0) throw new NimbusError('BAD_REQUEST', 'an admin key cannot be limited to apps: use scope deploy, invoke or read');
    const now = this.#clock();
    if (input.expiresAt !== null && input.expiresAt <= now) throw new NimbusError('BAD_REQUEST', 'expiresAt is in the past');
    const random = randomBytes(32).toString('base64url');
    const key = `nmb_${input.name}_${random}`;
    const record: ApiKeyRecord = {
      id: `key_${randomUUID().replace(/-/g, '').slice(0, 16)}`,
      name: input.name,
      prefix: `nmb_${input.name}_${random.slice(0, PREFIX_CHARS)}`,
      scope: input.scope,
      apps: [...new Set(input.apps)].sort(),
      hash: this.hmac(key).toString('hex'),
      secretKind: 'hmac',
      createdAt: now,
      expiresAt: input.expiresAt,
      revokedAt: null,
      lastUsedAt: null,
    };
    await this.o.store.createKey(record);
    return { key, record };
  }

  async revoke(idOrName: string): Promise<ApiKeyRecord> {
    const revoked = await this.o.store.revokeKey(idOrName, this.#clock());
    if (!revoked) throw new NimbusError('KEY_NOT_FOUND', `no live key with id or name "${idOrName}"; see \`nimbus keys ls\``);
    return revoked;
  }

  private hmac(key: string): Buffer {
    return createHmac('sha256', this.o.secret).update(key).digest();
  }
}

function sha256(s: string): Buffer {
  return createHash('sha256').update(s).digest();
}
