/**
 * Verifying AWS Signature Version 4 requests (`Authorization: AWS4-HMAC-SHA256 Credential=…,
 * SignedHeaders=…, Signature=…`). The signature is recomputed with @smithy/signature-v4 — the
 * signer the AWS SDK itself uses — over exactly the headers the client says it signed, so the
 * canonicalisation (path escaping, query sorting, header folding) is the SDK's own and cannot
 * drift from it. Then:
 *   - the signatures are compared in constant time;
 *   - `X-Amz-Date` must be within 15 minutes of the node's clock (AWS's window), either way;
 *   - the payload is signed: `x-amz-content-sha256`, when sent, must be the body's SHA-256
 *     (`UNSIGNED-PAYLOAD` is refused), otherwise the body's hash is what was signed;
 *   - the credential scope is `<date>/<region>/<service>/aws4_request` with the request's date.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import { Hash } from '@smithy/hash-node';
import { HttpRequest } from '@smithy/protocol-http';
import { SignatureV4 } from '@smithy/signature-v4';
import { AwsError } from './errors.js';

/** AWS's window for a request's date: 15 minutes either side of the server's clock. */
export const MAX_SKEW_MS = 15 * 60_000;

export interface SignedRequest {
  method: string;
  /** The raw request target (`/2015-03-31/functions/x/invocations?Qualifier=1`), still percent-encoded. */
  url: string;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

export interface VerifyOptions<T> {
  /** The service the scope must name (`lambda`). */
  service: string;
  now: number;
  /** The secret access key of an access key id and who it stands for; undefined = unknown (or revoked). */
  lookup(accessKeyId: string): Promise<{ secretAccessKey: string; caller: T } | undefined>;
}

export interface Verified<T> {
  caller: T;
  accessKeyId: string;
  /** The region the client signed for (ARNs in answers name it). */
  region: string;
}

const AUTH = /^AWS4-HMAC-SHA256\s+Credential=([^/,\s]+)\/(\d{8})\/([^/,\s]+)\/([^/,\s]+)\/aws4_request\s*,\s*SignedHeaders=([a-z0-9;_.-]+)\s*,\s*Signature=([0-9a-f]{64})\s*$/i;
const AMZ_DATE = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/;

/** The parts of a well-formed, current `Authorization` header (no signature checked yet). */
export interface SignatureClaim {
  accessKeyId: string;
  region: string;
  service: string;
  signed: string[];
  signature: string;
  date: Date;
}

/**
 * Check what can be checked before the body is read: the header's form, the date window and the
 * scope. Callers use it to refuse strangers before buffering megabytes of body.
 */
export function claimOf(headers: IncomingHttpHeaders, o: { service: string; now: number }): SignatureClaim {
  const authorization = header(headers, 'authorization');
  if (authorization === undefined)
    throw new AwsError('MissingAuthenticationTokenException', 'Missing Authentication Token: sign the request with AWS Signature Version 4 (credentials from `nimbus keys create --aws`)');
  const m = AUTH.exec(authorization);
  if (!m)
    throw new AwsError(
      'IncompleteSignatureException',
      'the Authorization header is not an AWS4-HMAC-SHA256 signature (Credential=<id>/<date>/<region>/<service>/aws4_request, SignedHeaders=…, Signature=…)',
    );
  const [, accessKeyId, scopeDate, region, service, signedList, signature] = m as unknown as [string, string, string, string, string, string, string];
  const signed = signedList.toLowerCase().split(';');
  if (!signed.includes('host') || !signed.includes('x-amz-date')) throw new AwsError('IncompleteSignatureException', 'the signature must cover the host and x-amz-date headers');
  const amzDate = header(headers, 'x-amz-date') ?? '';
  const date = parseAmzDate(amzDate);
  if (date === undefined) throw new AwsError('IncompleteSignatureException', 'X-Amz-Date must be a time like 20260101T120000Z');
  if (Math.abs(o.now - date.getTime()) > MAX_SKEW_MS) {
    throw new AwsError('InvalidSignatureException', `Signature expired: ${amzDate} is more than 15 minutes away from the server's time ${formatAmzDate(new Date(o.now))}; check the client's clock`);
  }
  if (scopeDate !== amzDate.slice(0, 8)) throw new AwsError('InvalidSignatureException', `the credential scope's date ${scopeDate} is not the date of X-Amz-Date ${amzDate}`);
  if (service !== o.service) throw new AwsError('InvalidSignatureException', `the credential scope names service "${service}"; this endpoint is "${o.service}"`);
  return { accessKeyId, region, service, signed, signature, date };
}

/** The caller of a correctly signed request; throws an AwsError (403) otherwise. */
export async function verifySigV4<T>(req: SignedRequest, o: VerifyOptions<T>): Promise<Verified<T>> {
  const { accessKeyId, region, service, signed, signature, date } = claimOf(req.headers, o);
  const bodyHash = createHash('sha256').update(req.body).digest('hex');
  const claimed = header(req.headers, 'x-amz-content-sha256');
  if (claimed !== undefined && claimed !== bodyHash) {
    throw new AwsError(
      'InvalidSignatureException',
      claimed === 'UNSIGNED-PAYLOAD' ? 'unsigned payloads are not accepted: sign the body' : 'x-amz-content-sha256 is not the SHA-256 of the request body',
    );
  }
  const found = await o.lookup(accessKeyId);
  if (!found) throw new AwsError('UnrecognizedClientException', 'The security token included in the request is invalid: unknown, expired or revoked access key id');
  const expected = await sign(req, signed, { accessKeyId, secretAccessKey: found.secretAccessKey, region, service, date });
  if (!timingSafeEqual(Buffer.from(expected, 'hex'), Buffer.from(signature.toLowerCase(), 'hex'))) {
    throw new AwsError('InvalidSignatureException', 'The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method.');
  }
  return { caller: found.caller, accessKeyId, region };
}

/** The hex signature of `req` over the `signed` headers, as the AWS SDK computes it. */
async function sign(req: SignedRequest, signed: string[], c: { accessKeyId: string; secretAccessKey: string; region: string; service: string; date: Date }): Promise<string> {
  const target = new URL(req.url, 'http://host.invalid');
  const headers: Record<string, string> = {};
  for (const name of signed) {
    const value = header(req.headers, name);
    if (value !== undefined) headers[name] = value;
  }
  const query: Record<string, string | string[]> = {};
  for (const [k, v] of target.searchParams) {
    const prev = query[k];
    query[k] = prev === undefined ? v : [...(Array.isArray(prev) ? prev : [prev]), v];
  }
  const rawPath = req.url.split('?')[0] ?? '/';
  const request = new HttpRequest({ method: req.method, protocol: 'http:', hostname: 'host.invalid', path: rawPath, query, headers, body: req.body });
  const signer = new SignatureV4({
    credentials: { accessKeyId: c.accessKeyId, secretAccessKey: c.secretAccessKey },
    region: c.region,
    service: c.service,
    sha256: Hash.bind(null, 'sha256'),
    // The client decided which headers it signed: add none (the checksum header only if it signed it).
    applyChecksum: false,
  });
  const out = await signer.sign(request, { signingDate: c.date, signableHeaders: new Set(signed) });
  const auth = String(out.headers['authorization'] ?? '');
  return /Signature=([0-9a-f]{64})/.exec(auth)?.[1] ?? '0'.repeat(64);
}

function header(headers: IncomingHttpHeaders, name: string): string | undefined {
  const v = headers[name];
  if (v === undefined) return undefined;
  return Array.isArray(v) ? v.join(',') : String(v);
}

function parseAmzDate(s: string): Date | undefined {
  const m = AMZ_DATE.exec(s);
  if (!m) return undefined;
  const d = new Date(Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]), Number(m[4]), Number(m[5]), Number(m[6])));
  return Number.isNaN(d.getTime()) ? undefined : d;
}

export function formatAmzDate(d: Date): string {
  return d
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d{3}/, '');
}
