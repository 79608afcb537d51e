/**
 * API keys and the audit trail (issue 9): plain types shared by the store, the control API and
 * the client. A key is shown once when created; only its HMAC is stored.
 */

/** What a key may do (README, "Keys and scopes"). `admin` ⊃ `deploy` ⊃ `read`; `invoke` stands alone. */
export const SCOPES = ['admin', 'deploy', 'invoke', 'read'] as const;
export type Scope = (typeof SCOPES)[number];

/**
 * How a key's secret is kept. `hmac`: only HMAC-SHA-256(server secret, key) is stored, enough to
 * check a bearer key. `sealed`: the key also has AWS credentials (`nimbus keys create --aws`);
 * SigV4 makes the server recompute the signature, so it needs the secret access key itself: it is
 * stored encrypted under the node's master key (`aws.sealedSecret`), never hashed, never in clear.
 */
export type KeySecretKind = 'hmac' | 'sealed';

export interface ApiKeyRecord {
  /** Stable id (`key_<random>`), used in audit entries and `nimbus keys revoke`. */
  id: string;
  /** Unique among live keys: `[a-z0-9][a-z0-9-]{0,62}`. */
  name: string;
  /** The first characters of the key (`nmb_ci-shop_Ab12`): enough to recognise it, useless to use it. */
  prefix: string;
  scope: Scope;
  /** The apps the key is limited to; empty = every app. */
  apps: string[];
  /** Hex HMAC-SHA-256 of the whole key under the server's secret. */
  hash: string;
  secretKind: KeySecretKind;
  /** AWS SigV4 credentials of the same key (secretKind `sealed`); absent for a bearer-only key. */
  aws?: AwsKeyCredentials;
  createdAt: number;
  /** Epoch ms, null = never. */
  expiresAt: number | null;
  revokedAt: number | null;
  lastUsedAt: number | null;
}

/** The AWS half of a key: the access key id callers send, the secret access key sealed under the master key. */
export interface AwsKeyCredentials {
  /** 20 characters, `NIMB` + 16 of base32, unique: what the SigV4 `Credential=` names. */
  accessKeyId: string;
  /** JSON of the AES-256-GCM seal (secrets/crypto.ts `Sealed`) of the secret access key. */
  sealedSecret: string;
}

/** One mutating control-API call, ok or refused. Never holds bodies or secret values. */
export interface AuditEntry {
  /** Monotonic, assigned by the store. */
  seq: number;
  ts: number;
  /** The key that called (`admin` for admin.key). */
  keyId: string;
  /** The key's prefix (`nmb_ci-shop_Ab12`, `admin.key`). */
  keyName: string;
  /** e.g. `app.deploy`, `function.rollback`, `key.create`. */
  action: string;
  /** The app acted on; null for actions on no app (keys). */
  app: string | null;
  /** What was acted on inside the app (function, bucket/key, topic, key id). */
  target: string | null;
  /** `ok` or the error code answered. */
  outcome: string;
}
