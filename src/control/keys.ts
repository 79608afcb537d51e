/**
 * API keys (issue 9). A key is `nmb_<name>_<43 characters of base64url>`: 256 random bits, shown
 * once by `POST /v1/keys`. The store keeps only HMAC-SHA-256(server secret, key) — the secret
 * is `key-hmac.secret` in the data dir — so a copy of the database (or a backup) holds nothing
 * a caller could send, and an index lookup on the HMAC finds the key without scanning. The
 * admin key of `admin.key` is checked apart (as before) and has scope admin.
 *
 * `aws: true` (issue 12) gives the same key AWS credentials too: an access key id and a secret
 * access key for SigV4 (the Lambda Invoke API). SigV4 makes the server recompute the signature,
 * so that secret is sealed under the node's master key (AES-256-GCM, secrets/crypto.ts), bound to
 * its access key id; a master key rotation reseals it (`reseal`).
 */
import { createHash, createHmac, randomBytes, randomUUID, timingSafeEqual } from 'node:crypto';
import type { ApiKeyRecord, AwsKeyCredentials, Scope } from '../domain/index.js';
import { open, seal, type Sealed } from '../secrets/crypto.js';
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
  /** The node's master key now (it changes on rotation); without it keys cannot have AWS credentials. */
  masterKey?: () => Buffer;
  /** Throws when the master key is no longer the one secrets are sealed under (another node rotated it). */
  checkMasterKey?: () => Promise<void>;
}

export interface NewKey {
  name: string;
  scope: Scope;
  apps: string[];
  expiresAt: number | null;
  /** Also issue AWS credentials (SigV4) for this key. */
  aws?: boolean;
}

/** The AWS credentials of a new key, shown once like the key. */
export interface NewAwsCredentials {
  accessKeyId: string;
  secretAccessKey: string;
}

/** An AWS caller: who it is and the secret its signature must be made with. */
export interface AwsCaller {
  principal: Principal;
  secretAccessKey: string;
  lastUsedAt: number | null;
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

  /** The caller an AWS access key id stands for, with its secret; undefined for an unknown, expired or revoked key. */
  async awsCaller(accessKeyId: string): Promise<AwsCaller | undefined> {
    const masterKey = this.o.masterKey?.();
    if (!masterKey || !ACCESS_KEY_ID.test(accessKeyId)) return undefined;
    const found = await this.o.store.findKeyByAccessKeyId(accessKeyId);
    if (!found?.aws) return undefined;
    const now = this.#clock();
    if (found.revokedAt !== null || (found.expiresAt !== null && now >= found.expiresAt)) return undefined;
    let secretAccessKey: string;
    try {
      secretAccessKey = open(masterKey, JSON.parse(found.aws.sealedSecret) as Sealed, awsAad(accessKeyId));
    } catch {
      // Sealed under another master key (a rotation still resealing, or one that failed half-way): unusable, like a revoked key.
      return undefined;
    }
    return { principal: { id: found.id, name: found.prefix, scope: found.scope, apps: found.apps }, secretAccessKey, lastUsedAt: found.lastUsedAt };
  }

  /** Record a use of an AWS caller, once its signature verified (a forged request must not count as use). */
  async used(caller: AwsCaller): Promise<void> {
    const now = this.#clock();
    if (caller.lastUsedAt === null || now - caller.lastUsedAt >= TOUCH_EVERY_MS) await this.o.store.touchKey(caller.principal.id, now);
  }

  /** Reseal every AWS secret from the old master key under the new one (after `rotateMaster`). */
  async reseal(previous: Buffer, next: Buffer): Promise<number> {
    const rows = (await this.o.store.listKeys()).flatMap((k) => {
      if (!k.aws) return [];
      const aad = awsAad(k.aws.accessKeyId);
      return [{ id: k.id, sealedSecret: JSON.stringify(seal(next, open(previous, JSON.parse(k.aws.sealedSecret) as Sealed, aad), aad)) }];
    });
    await this.o.store.resealKeySecrets(rows);
    return rows.length;
  }

  /** A new key: the plaintext is returned here once and stored nowhere (the AWS secret only sealed). */
  async create(input: NewKey): Promise<{ key: string; record: ApiKeyRecord; aws?: NewAwsCredentials }> {
    if (input.scope === 'admin' && input.apps.length > 0) throw new NimbusError('BAD_REQUEST', 'an admin key cannot be limited to apps: use scope deploy, invoke or read');
    const now = this.#clock();
    if (input.expiresAt !== null && input.expiresAt <= now) throw new NimbusError('BAD_REQUEST', 'expiresAt is in the past');
    const random = randomBytes(32).toString('base64url');
    const key = `nmb_${input.name}_${random}`;
    if (input.aws) await this.o.checkMasterKey?.();
    const aws = input.aws ? this.newAwsCredentials() : undefined;
    const record: ApiKeyRecord = {
      id: `key_${randomUUID().replace(/-/g, '').slice(0, 16)}`,
      name: input.name,
      prefix: `nmb_${input.name}_${random.slice(0, PREFIX_CHARS)}`,
      scope: input.scope,
      apps: [...new Set(input.apps)].sort(),
      hash: this.hmac(key).toString('hex'),
      secretKind: aws ? 'sealed' : 'hmac',
      ...(aws ? { aws: aws.stored } : {}),
      createdAt: now,
      expiresAt: input.expiresAt,
      revokedAt: null,
      lastUsedAt: null,
    };
    await this.o.store.createKey(record);
    return { key, record, ...(aws ? { aws: aws.shown } : {}) };
  }

  private newAwsCredentials(): { shown: NewAwsCredentials; stored: AwsKeyCredentials } {
    const masterKey = this.o.masterKey?.();
    if (!masterKey) throw new NimbusError('BAD_REQUEST', 'this node has no master key, so it cannot keep AWS secret access keys');
    // AWS's own shapes: a 20-character upper-case id (AKIA… there, NIMB… here) and a 40-character secret.
    const accessKeyId = `NIMB${base32(randomBytes(10))}`;
    const secretAccessKey = randomBytes(30).toString('base64');
    const sealedSecret = JSON.stringify(seal(masterKey, secretAccessKey, awsAad(accessKeyId)));
    return { shown: { accessKeyId, secretAccessKey }, stored: { accessKeyId, sealedSecret } };
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

const ACCESS_KEY_ID = /^NIMB[A-Z2-7]{16}$/;

/** Binds a sealed secret to its access key id (secret names cannot hold `\0`, so no app secret's AAD looks like it). */
function awsAad(accessKeyId: string): string {
  return `nimbus\0aws-key\0${accessKeyId}`;
}

/** RFC 4648 base32 without padding (10 bytes → 16 characters). */
function base32(bytes: Buffer): string {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
  let bits = 0;
  let value = 0;
  let out = '';
  for (const b of bytes) {
    value = (value << 8) | b;
    bits += 8;
    while (bits >= 5) {
      out += alphabet[(value >>> (bits - 5)) & 31];
      bits -= 5;
    }
  }
  return out;
}

function sha256(s: string): Buffer {
  return createHash('sha256').update(s).digest();
}
