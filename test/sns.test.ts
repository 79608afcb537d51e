/**
 * SNS-shaped topic subscriptions, message attributes and S3-style keys, end to end (issue 12 §3):
 * a real node; messages published from a function's binding and from the control API travel
 * through the durable queue to Lambda subscribers, which write what they saw to KV.
 */
import { strict as assert } from 'node:assert';
import { after, before, describe, it } from 'node:test';
import type { NimbusError } from '../src/shared/errors.js';
import { eventually, manifest, startTestNimbus, type TestNimbus } from './support/harness.js';

const SNS_SUBSCRIBER = `
export const handler = async (event, context) => {
  const r = event.Records[0];
  await context.env.SEEN.put('sns:' + r.Sns.MessageId, JSON.stringify({
    count: event.Records.length, source: r.EventSource, type: r.Sns.Type, message: r.Sns.Message, kind: r.Sns.MessageAttributes.kind?.Value,
    attributes: r.Sns.MessageAttributes, topicArn: r.Sns.TopicArn, subject: r.Sns.Subject, iso: new Date(r.Sns.Timestamp).toISOString() === r.Sns.Timestamp,
  }));
};
`;
const SQS_SUBSCRIBER = `
export const handler = async (event, context) => {
  for (const r of event.Records) await context.env.SEEN.put('sqs:' + r.messageId, JSON.stringify({ body: r.body, attributes: r.messageAttributes }));
};
`;
const S3_SUBSCRIBER = `
export const handler = async (event, context) => {
  for (const r of event.Records) await context.env.SEEN.put('s3:' + r.s3.object.key, r.s3.object.key);
};
`;
const WEB = `
export default {
  async fetch(request, env) {
    const url = new URL(request.url);
    if (request.method === 'POST') {
      const r = await env.ORDERS.publish(await request.text(), { attributes: { kind: 'from-binding' } });
      return Response.json(r);
    }
    const { keys } = await env.SEEN.list({ prefix: url.searchParams.get('prefix') ?? '' });
    const out = {};
    for (const k of keys) out[k.name] = await env.SEEN.get(k.name);
    return Response.json(out);
  },
  async queue(batch, env) {
    for (const m of batch.messages) await env.SEEN.put('web:' + m.id, JSON.stringify(m.attributes));
  },
};
`;

describe('SNS shape, message attributes and S3 keys', () => {
  let n: TestNimbus;
  const seen = async (prefix: string) => (await (await n.fetch(`/probe?prefix=${encodeURIComponent(prefix)}`)).json()) as Record<string, string>;
  const one = (prefix: string) => eventually(async () => Object.values(await seen(prefix))[0], 15_000, `a record under ${prefix}`);

  before(async () => {
    n = await startTestNimbus();
    const SEEN = { kv: 'sns-seen' };
    await n.deploy({
      'nimbus.yaml': manifest('sns', {
        snssub: { handler: 'src/sns.handler', bindings: { SEEN }, triggers: [{ topic: 'orders', shape: 'sns' }] },
        sqssub: { handler: 'src/sqs.handler', bindings: { SEEN }, triggers: [{ topic: 'orders' }] },
        files: { handler: 'src/s3.handler', bindings: { SEEN }, triggers: [{ bucket: 'uploads' }] },
        web: { handler: 'src/web.ts', bindings: { SEEN, ORDERS: { topic: 'orders' } }, triggers: [{ http: 'GET /probe' }, { http: 'POST /publish' }, { topic: 'events' }] },
      }),
      'src/sns.ts': SNS_SUBSCRIBER,
      'src/sqs.ts': SQS_SUBSCRIBER,
      'src/s3.ts': S3_SUBSCRIBER,
      'src/web.ts': WEB,
    });
  });
  after(() => n?.close());

  it('a binding publish with attributes reaches an SNS-shaped Lambda as Records[].Sns, and the default shape gets messageAttributes', async () => {
    const res = await n.fetch('/publish', { method: 'POST', body: 'order #7 shipped' });
    assert.equal(res.status, 200);
    const { messageId } = (await res.json()) as { messageId: string };
    const sns = JSON.parse(await one('sns:')) as Record<string, unknown>;
    assert.deepEqual(sns, {
      count: 1,
      source: 'aws:sns',
      type: 'Notification',
      message: 'order #7 shipped',
      kind: 'from-binding',
      attributes: { kind: { Type: 'String', Value: 'from-binding' } },
      topicArn: 'arn:aws:sns:us-east-1:000000000000:orders',
      subject: null,
      iso: true,
    });
    const sqs = JSON.parse(await one('sqs:')) as Record<string, unknown>;
    assert.deepEqual(sqs, {
      body: JSON.stringify('order #7 shipped'),
      attributes: { kind: { stringValue: 'from-binding', stringListValues: [], binaryListValues: [], dataType: 'String' } },
    });
    assert.ok(messageId.length > 0);
  });

  it('the control API publishes with attributes; a web queue() handler reads them as message.attributes', async () => {
    await n.client.publish('events', { id: 1 }, { attributes: { source: 'api', priority: 'high' } });
    const attrs = JSON.parse(await one('web:')) as Record<string, string>;
    assert.deepEqual(attrs, { source: 'api', priority: 'high' });
  });

  it('bad attributes are refused with BAD_REQUEST', async () => {
    await assert.rejects(n.client.publish('events', { id: 2 }, { attributes: { 'bad name!': 'x' } }), (err: NimbusError) => err.code === 'BAD_REQUEST');
    const many = Object.fromEntries(Array.from({ length: 11 }, (_, i) => [`k${i}`, 'v']));
    await assert.rejects(n.client.publish('events', { id: 3 }, { attributes: many }), (err: NimbusError) => err.code === 'BAD_REQUEST');
  });

  it('a bucket key with a space and a slash arrives URL-encoded as S3 sends it', async () => {
    await n.client.putObject('uploads', 'photos/my cat+dog.png', 'img');
    const key = await one('s3:');
    assert.equal(key, 'photos/my+cat%2Bdog.png');
    assert.equal(decodeURIComponent(key.replace(/\+/g, ' ')), 'photos/my cat+dog.png');
  });
});
