import { strict as assert } from 'node:assert';
import { createHmac } from 'node:crypto';
import { describe, it } from 'node:test';
import type { FunctionVersion } from '../domain/index.js';
import { signatureValid, WebhookTable } from './webhooks.js';

const sig = (body: Buffer | string, secret: string) => `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;

describe('webhook signatures', () => {
  const body = Buffer.from('{"zen":"Keep it logically awesome."}');

  it('accepts the HMAC-SHA256 of the raw bytes under the secret, hex in either case', () => {
    assert.equal(signatureValid(body, 's3cret', sig(body, 's3cret')), true);
    assert.equal(signatureValid(body, 's3cret', sig(body, 's3cret').toUpperCase().replace('SHA256=', 'sha256=')), true);
  });

  it('refuses a missing header or secret, another secret, other bytes and malformed values', () => {
    assert.equal(signatureValid(body, 's3cret', undefined), false);
    assert.equal(signatureValid(body, undefined, sig(body, 's3cret')), false);
    assert.equal(signatureValid(body, '', sig(body, '')), false, 'an empty secret signs nothing');
    assert.equal(signatureValid(body, 's3cret', sig(body, 'other')), false);
    assert.equal(signatureValid(Buffer.concat([body, Buffer.from(' ')]), 's3cret', sig(body, 's3cret')), false);
    assert.equal(signatureValid(body, 's3cret', sig(body, 's3cret').slice(7)), false, 'the sha256= prefix is required');
    assert.equal(signatureValid(body, 's3cret', 'sha256=abc'), false, 'a short digest is refused before comparing');
    assert.equal(signatureValid(body, 's3cret', `sha1=${'0'.repeat(64)}`), false);
  });

  it('maps each webhook path of the active versions to its function', () => {
    const fn = (name: string, path: string) =>
      ({
        app: 'a',
        name,
        config: {
          triggers: [
            { type: 'webhook', path, secret: 'S', header: 'x-hub-signature-256' },
            { type: 'http', method: 'POST', path: '/x' },
          ],
        },
      }) as unknown as FunctionVersion;
    const table = new WebhookTable([fn('one', '/hooks/one'), fn('two', '/hooks/two')]);
    assert.equal(table.size, 2);
    assert.equal(table.get('/hooks/two')?.fn.name, 'two');
    assert.equal(table.get('/x'), undefined);
  });
});
