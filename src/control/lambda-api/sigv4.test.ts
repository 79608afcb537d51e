/**
 * The SigV4 verifier against requests signed by @smithy/signature-v4 as the AWS SDK signs them:
 * a good signature passes (with and without x-amz-content-sha256, with an ARN in the path and a
 * query), and every tampering a user could make (body, signed header, path, query, secret, date
 * skew, payload hash, scope) is refused with the error type AWS answers.
 */
import { strict as assert } from 'node:assert';
import { createHash } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import { describe, it } from 'node:test';
import { Hash } from '@smithy/hash-node';
import { HttpRequest } from '@smithy/protocol-http';
import { SignatureV4 } from '@smithy/signature-v4';
import { AwsError } from './errors.js';
import { MAX_SKEW_MS, verifySigV4, type SignedRequest } from './sigv4.js';

const ID = 'NIMBAAAABBBBCCCCDDDD';
const SECRET = 'secret/secret+secret/secret+secret/secre';
const NOW = Date.UTC(2026, 10, 30, 22, 0, 0);

interface Options {
  path?: string;
  query?: Record<string, string>;
  body?: string;
  at?: number;
  secret?: string;
  service?: string;
  checksum?: boolean;
}

/** A request signed as the SDK signs it, in the form the server receives it. */
async function signed(o: Options = {}): Promise<SignedRequest> {
  const path = o.path ?? '/2015-03-31/functions/shop.greet/invocations';
  const body = o.body ?? '{"name":"ada"}';
  const request = new HttpRequest({
    method: 'POST',
    protocol: 'http:',
    hostname: '127.0.0.1',
    port: 8081,
    path,
    query: o.query ?? {},
    headers: { host: '127.0.0.1:8081', 'content-type': 'application/json', 'x-amz-invocation-type': 'RequestResponse' },
    body,
  });
  const signer = new SignatureV4({
    credentials: { accessKeyId: ID, secretAccessKey: o.secret ?? SECRET },
    region: 'us-east-1',
    service: o.service ?? 'lambda',
    sha256: Hash.bind(null, 'sha256'),
    applyChecksum: o.checksum ?? false,
  });
  const out = await signer.sign(request, { signingDate: new Date(o.at ?? NOW) });
  const headers: IncomingHttpHeaders = {};
  for (const [k, v] of Object.entries(out.headers)) headers[k.toLowerCase()] = v;
  const qs = new URLSearchParams(o.query ?? {}).toString();
  return { method: 'POST', url: qs ? `${path}?${qs}` : path, headers, body: Buffer.from(body) };
}

const lookup = async (id: string) => (id === ID ? { secretAccessKey: SECRET, caller: 'the caller' } : undefined);
const verify = (req: SignedRequest, now = NOW) => verifySigV4(req, { service: 'lambda', now, lookup });

async function refusal(req: SignedRequest | Promise<SignedRequest>, now = NOW): Promise<string> {
  try {
    await verify(await req, now);
  } catch (err) {
    assert.ok(err instanceof AwsError, String(err));
    return err.type;
  }
  assert.fail('the request was accepted');
}

describe('SigV4 verifier', () => {
  it('accepts what the SDK signs: the caller and the signed region', async () => {
    const ok = await verify(await signed());
    assert.deepEqual(ok, { caller: 'the caller', accessKeyId: ID, region: 'us-east-1' });
    await verify(await signed({ checksum: true }));
    await verify(await signed({ path: '/2015-03-31/functions/arn%3Aaws%3Alambda%3Aus-east-1%3A000000000000%3Afunction%3Ashop.greet/invocations', query: { Qualifier: '$LATEST' } }));
    await verify(await signed({ body: '' }));
  });

  it('accepts a date up to 15 minutes either side, and refuses one beyond', async () => {
    await verify(await signed({ at: NOW - MAX_SKEW_MS + 1000 }));
    await verify(await signed({ at: NOW + MAX_SKEW_MS - 1000 }));
    assert.equal(await refusal(signed({ at: NOW - MAX_SKEW_MS - 1000 })), 'InvalidSignatureException');
    assert.equal(await refusal(signed({ at: NOW + MAX_SKEW_MS + 1000 })), 'InvalidSignatureException');
  });

  it('refuses a tampered body, signed header, path or query', async () => {
    const body = await signed();
    assert.equal(await refusal({ ...body, body: Buffer.from('{"name":"eve"}') }), 'InvalidSignatureException');
    const header = await signed();
    assert.equal(await refusal({ ...header, headers: { ...header.headers, 'x-amz-invocation-type': 'Event' } }), 'InvalidSignatureException');
    const path = await signed();
    assert.equal(await refusal({ ...path, url: '/2015-03-31/functions/shop.admin/invocations' }), 'InvalidSignatureException');
    const query = await signed({ query: { Qualifier: '1' } });
    assert.equal(await refusal({ ...query, url: query.url.replace('Qualifier=1', 'Qualifier=2') }), 'InvalidSignatureException');
  });

  it('ignores headers the client did not sign', async () => {
    const req = await signed();
    await verify({ ...req, headers: { ...req.headers, 'user-agent': 'changed', 'x-forwarded-for': '10.0.0.1' } });
  });

  it('checks the payload hash the client sends against the body', async () => {
    const req = await signed({ checksum: true });
    const other = createHash('sha256').update('{"name":"eve"}').digest('hex');
    assert.equal(await refusal({ ...req, headers: { ...req.headers, 'x-amz-content-sha256': other } }), 'InvalidSignatureException');
    assert.equal(await refusal({ ...req, body: Buffer.from('{"name":"eve"}') }), 'InvalidSignatureException');
    assert.equal(await refusal({ ...req, headers: { ...req.headers, 'x-amz-content-sha256': 'UNSIGNED-PAYLOAD' } }), 'InvalidSignatureException');
  });

  it('refuses a wrong secret, an unknown key, another service, and missing or malformed signatures', async () => {
    assert.equal(await refusal(signed({ secret: 'x'.repeat(40) })), 'InvalidSignatureException');
    const req = await signed();
    const auth = String(req.headers.authorization);
    assert.equal(await refusal({ ...req, headers: { ...req.headers, authorization: auth.replace(ID, 'NIMBZZZZZZZZZZZZZZZZ') } }), 'UnrecognizedClientException');
    assert.equal(await refusal(signed({ service: 's3' })), 'InvalidSignatureException');
    const { authorization: _, ...unsigned } = req.headers;
    assert.equal(await refusal({ ...req, headers: unsigned }), 'MissingAuthenticationTokenException');
    assert.equal(await refusal({ ...req, headers: { ...req.headers, authorization: 'Bearer nmb_x' } }), 'IncompleteSignatureException');
    assert.equal(
      await refusal({ ...req, headers: { ...req.headers, authorization: auth.replace('SignedHeaders=', 'SignedHeaders=x-amz-date;').replace(/host;?/, '') } }),
      'IncompleteSignatureException',
    );
  });
});
