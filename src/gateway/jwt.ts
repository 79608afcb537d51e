/**
 * Bearer JWTs of routes with `auth: { jwt }`, verified with jose: the signature (a key of the
 * issuer's JWKS chosen by `kid`, or the HMAC key in an app secret), the `alg` against the route's
 * allow-list (`none` is never on it), `exp` and `nbf` with 30 s of leeway, `iss` and `aud`.
 *
 * JWKS: one jose remote key set per URL, kept across deploys. It fetches on first use, again when
 * a token names a `kid` it does not hold (key rotation) but at most once per `cooldownMs` (30 s),
 * and gives up on a fetch after `timeoutMs` (5 s): such a request is refused 401 and the node goes
 * on serving. Keys are refetched after 10 min in any case (jose's cacheMaxAge).
 */
import { webcrypto } from 'node:crypto';
import { createRemoteJWKSet, errors, jwtVerify, type JWTHeaderParameters, type JWTPayload } from 'jose';
import type { JwtAuth } from '../domain/index.js';
import type { SecretSource } from '../secrets/index.js';
import type { Clock } from '../shared/clock.js';
import { NimbusError } from '../shared/errors.js';

/** Seconds a token's exp / nbf may be off (clock skew between issuer and node). */
export const CLOCK_LEEWAY_S = 30;

export interface JwksOptions {
  /** Least time between two fetches of one JWKS, ms. Default 30 s. */
  cooldownMs?: number;
  /** Time one fetch may take, ms. Default 5 s. */
  timeoutMs?: number;
}

export interface JwtIdentity {
  claims: JWTPayload;
  scopes: string[];
}

type KeySet = ReturnType<typeof createRemoteJWKSet>;

/** A refusal: 401 with its `WWW-Authenticate` challenge, or 403 for a missing scope. */
export function bearerRefusal(code: 'UNAUTHORIZED' | 'FORBIDDEN', message: string, challenge: string): NimbusError {
  return new NimbusError(code, message, { details: { wwwAuthenticate: challenge } });
}

const quote = (s: string) => s.replace(/["\\]/g, '');

/** The hash of each HMAC JWT algorithm, for importing its key once. */
const HMAC_HASH: Record<string, string> = { HS256: 'SHA-256', HS384: 'SHA-384', HS512: 'SHA-512' };
/** HMAC keys kept imported (one per secret value and algorithm: few). */
const MAX_HMAC_KEYS = 1000;

export class JwtVerifier {
  private readonly keySets = new Map<string, KeySet>();
  /** Imported HMAC keys: importing the raw bytes on every request cost a third of a JWT route's throughput. */
  private readonly hmacKeys = new Map<string, Promise<webcrypto.CryptoKey>>();

  constructor(private readonly deps: { secrets?: SecretSource | undefined; clock: Clock; jwks?: JwksOptions | undefined; log?: ((line: string) => void) | undefined }) {}

  /** The verified claims and scopes of the request's bearer token, or the refusal. */
  async verify(app: string, auth: JwtAuth, authorization: string | undefined): Promise<JwtIdentity | NimbusError> {
    const realm = `realm="${quote(app)}"`;
    const match = /^Bearer\s+([A-Za-z0-9_\-.=+/]+)\s*$/i.exec(authorization ?? '');
    if (!match) return bearerRefusal('UNAUTHORIZED', 'this route needs a bearer token: send "Authorization: Bearer <JWT>"', `Bearer ${realm}`);
    const invalid = (why: string) => bearerRefusal('UNAUTHORIZED', `the bearer token is not accepted: ${why}`, `Bearer ${realm}, error="invalid_token", error_description="${quote(why)}"`);
    let claims: JWTPayload;
    try {
      const options = { issuer: auth.issuer, audience: auth.audience, algorithms: auth.algorithms, clockTolerance: CLOCK_LEEWAY_S, currentDate: new Date(this.deps.clock.now()) };
      if (auth.jwks !== undefined) {
        claims = (await jwtVerify(match[1]!, this.keySet(auth.jwks), options)).payload;
      } else {
        const secret = await this.deps.secrets?.get(app, auth.secret ?? '');
        if (secret === undefined || secret === '') {
          this.deps.log?.(`route auth of app "${app}": secret "${auth.secret ?? ''}" (the JWT key) is not set; its routes refuse every token`);
          return new NimbusError('INTERNAL', `the key of this route's tokens (app secret "${auth.secret ?? ''}") is not set: the app's owner must set it (nimbus secret set)`);
        }
        claims = (await jwtVerify(match[1]!, (header: JWTHeaderParameters) => this.hmacKey(secret, header.alg), options)).payload;
      }
    } catch (err) {
      return invalid(reason(err, auth));
    }
    const scopes = scopesOf(claims);
    const missing = auth.scopes.filter((s) => !scopes.includes(s));
    if (missing.length > 0) {
      return bearerRefusal('FORBIDDEN', `the token lacks the scope(s) this route needs: ${missing.join(', ')}`, `Bearer ${realm}, error="insufficient_scope", scope="${quote(auth.scopes.join(' '))}"`);
    }
    return { claims, scopes };
  }

  /** The imported key of an HMAC secret for `alg` (jose checks the algorithm against the allow-list first). */
  private hmacKey(secret: string, alg: string | undefined): Promise<webcrypto.CryptoKey> | Uint8Array {
    const hash = alg === undefined ? undefined : HMAC_HASH[alg];
    // Not an HMAC algorithm: jose refuses it with the raw bytes as it would have.
    if (hash === undefined) return new TextEncoder().encode(secret);
    const k = `${alg}\0${secret}`;
    let key = this.hmacKeys.get(k);
    if (key === undefined) {
      if (this.hmacKeys.size >= MAX_HMAC_KEYS) this.hmacKeys.clear();
      key = webcrypto.subtle.importKey('raw', new TextEncoder().encode(secret), { name: 'HMAC', hash }, false, ['verify']);
      this.hmacKeys.set(k, key);
    }
    return key;
  }

  private keySet(url: string): KeySet {
    let set = this.keySets.get(url);
    if (set === undefined) {
      set = createRemoteJWKSet(new URL(url), { cooldownDuration: this.deps.jwks?.cooldownMs ?? 30_000, timeoutDuration: this.deps.jwks?.timeoutMs ?? 5_000 });
      this.keySets.set(url, set);
    }
    return set;
  }
}

/** The token's scopes: `scope` (space-separated, OAuth 2) or `scp` (a list, or a string). */
export function scopesOf(claims: JWTPayload): string[] {
  const raw = claims['scope'] ?? claims['scp'];
  if (typeof raw === 'string') return raw.split(' ').filter((s) => s !== '');
  if (Array.isArray(raw)) return raw.filter((s): s is string => typeof s === 'string');
  return [];
}

/** Why jose refused a token, in words a caller can act on (never the key material). */
function reason(err: unknown, auth: JwtAuth): string {
  if (err instanceof errors.JWTExpired) return 'it has expired';
  if (err instanceof errors.JWTClaimValidationFailed) {
    if (err.claim === 'nbf') return 'it is not valid yet (nbf)';
    if (err.claim === 'iss') return 'it was issued by another issuer';
    if (err.claim === 'aud') return 'it is meant for another audience';
    return `its "${err.claim}" claim is not acceptable`;
  }
  if (err instanceof errors.JOSEAlgNotAllowed) return `its algorithm is not one of ${auth.algorithms.join(', ')}`;
  if (err instanceof errors.JWSSignatureVerificationFailed) return 'its signature does not verify';
  if (err instanceof errors.JWKSNoMatchingKey) return "no key of the issuer's JWKS matches its kid";
  if (err instanceof errors.JWKSTimeout) return "the issuer's keys could not be fetched in time";
  if (err instanceof errors.JWTInvalid || err instanceof errors.JWSInvalid) return 'it is not a well-formed signed JWT';
  if (err instanceof errors.JOSEError) return err.code === 'ERR_JOSE_NOT_SUPPORTED' ? 'its algorithm is not supported' : "it could not be verified against the issuer's keys";
  return "the issuer's keys could not be fetched";
}
