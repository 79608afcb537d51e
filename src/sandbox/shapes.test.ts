import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import type { FunctionMeta } from './protocol.js';
import { eventBridgeEvent, lambdaQueueEvent, lambdaRetries, messageBatch, queueSource, type QueuePayload } from './shapes.js';

const fn: FunctionMeta = { app: 'shop', name: 'nightly', version: 3, memory: 128, handlerExport: null };
const T = Date.UTC(2026, 0, 2, 3, 4, 5, 678);

const topic: QueuePayload = {
  queue: 'orders',
  eventSource: 'topic',
  messages: [
    { id: 'm1', timestamp: T, body: { order: 1 }, attempts: 1 },
    { id: 'm2', timestamp: T + 1, body: 'plain', attempts: 3 },
  ],
};
const bucketBody = (type: 'created' | 'deleted', key: string) => ({ type, bucket: 'uploads', key, size: 5, etag: '"abc123"', contentType: 'text/plain' });
const bucket: QueuePayload = {
  queue: 'uploads',
  eventSource: 'bucket',
  messages: [
    { id: 'b1', timestamp: T, body: bucketBody('created', 'img/a.png'), attempts: 1 },
    { id: 'b2', timestamp: T, body: bucketBody('deleted', 'img/b.png'), attempts: 2 },
  ],
};

describe('Lambda shapes', () => {
  it('a schedule tick is an EventBridge Scheduled Event', () => {
    assert.deepEqual(eventBridgeEvent('inv-1', { schedule: '0 2 * * *', scheduledTime: T, timezone: null }, fn), {
      version: '0',
      id: 'inv-1',
      'detail-type': 'Scheduled Event',
      source: 'nimbus.scheduler',
      account: '000000000000',
      time: '2026-01-02T03:04:05Z',
      region: 'local',
      resources: ['shop/nightly'],
      detail: {},
    });
  });

  it('topic messages are SQS-like records with a JSON body string', () => {
    const { Records } = lambdaQueueEvent(topic);
    assert.equal(Records.length, 2);
    assert.deepEqual(Records[0], {
      messageId: 'm1',
      receiptHandle: 'm1',
      body: '{"order":1}',
      attributes: { ApproximateReceiveCount: '1', SentTimestamp: String(T), ApproximateFirstReceiveTimestamp: String(T) },
      messageAttributes: {},
      eventSource: 'nimbus:topic',
      eventSourceARN: 'orders',
      awsRegion: 'local',
    });
    assert.equal(Records[1]?.['body'], '"plain"');
    assert.deepEqual(Records[1]?.['attributes'], { ApproximateReceiveCount: '3', SentTimestamp: String(T + 1), ApproximateFirstReceiveTimestamp: String(T + 1) });
  });

  it('webhook messages are SQS-like records from nimbus:webhook', () => {
    const body = { path: '/hooks/ci', headers: { 'x-a': '1' }, body: '{"ref":"main"}' };
    const { Records } = lambdaQueueEvent({ queue: '/hooks/ci', eventSource: 'webhook', messages: [{ id: 'w1', timestamp: T, body, attempts: 1 }] });
    assert.equal(Records[0]?.['eventSource'], 'nimbus:webhook');
    assert.equal(Records[0]?.['eventSourceARN'], '/hooks/ci');
    assert.deepEqual(JSON.parse(String(Records[0]?.['body'])), body);
  });

  it('bucket notifications are S3-like records (created → ObjectCreated:Put, deleted → ObjectRemoved:Delete)', () => {
    const { Records } = lambdaQueueEvent(bucket);
    assert.deepEqual(Records[0], {
      eventVersion: '2.1',
      eventSource: 'nimbus:s3',
      awsRegion: 'local',
      eventTime: new Date(T).toISOString(),
      eventName: 'ObjectCreated:Put',
      messageId: 'b1',
      s3: {
        s3SchemaVersion: '1.0',
        bucket: { name: 'uploads', arn: 'arn:nimbus:s3:::uploads' },
        object: { key: 'img/a.png', size: 5, eTag: 'abc123', contentType: 'text/plain' },
      },
    });
    assert.equal(Records[1]?.['eventName'], 'ObjectRemoved:Delete');
  });

  it('without eventSource, the source is recognised: a path is a webhook, bucket-shaped bodies a bucket, else a topic', () => {
    assert.equal(queueSource({ ...topic, eventSource: undefined }), 'topic');
    assert.equal(queueSource({ ...bucket, eventSource: undefined }), 'bucket');
    assert.equal(queueSource({ queue: '/hooks/x', messages: [] }), 'webhook');
    // A topic that happens to carry bucket-like bodies of another bucket stays a topic.
    assert.equal(queueSource({ queue: 'orders', messages: [{ id: 'x', timestamp: T, body: bucketBody('created', 'k'), attempts: 1 }] }), 'topic');
  });

  it('batchItemFailures names the messages to retry; nothing returned retries nothing', () => {
    assert.deepEqual(lambdaRetries(topic, undefined), []);
    assert.deepEqual(lambdaRetries(topic, { batchItemFailures: [] }), []);
    assert.deepEqual(lambdaRetries(topic, { batchItemFailures: [{ itemIdentifier: 'm2' }] }), ['m2']);
    assert.deepEqual(lambdaRetries(bucket, { batchItemFailures: [{ itemIdentifier: 'b1' }, { itemIdentifier: 'b1' }] }), ['b1']);
  });

  it('an identifier that names no message of the batch retries the whole batch, as on AWS', () => {
    assert.deepEqual(lambdaRetries(topic, { batchItemFailures: [{ itemIdentifier: 'nope' }] }), ['m1', 'm2']);
    assert.deepEqual(lambdaRetries(topic, { batchItemFailures: [{}] }), ['m1', 'm2']);
    assert.deepEqual(lambdaRetries(topic, { batchItemFailures: 'm1' }), ['m1', 'm2']);
  });
});

describe('web MessageBatch', () => {
  it('gives messages with Date timestamps; undecided messages are not retried', () => {
    const { batch, retries } = messageBatch(topic);
    const b = batch as { queue: string; messages: Array<{ id: string; timestamp: Date; body: unknown; attempts: number }> };
    assert.equal(b.queue, 'orders');
    assert.deepEqual(
      b.messages.map((m) => [m.id, m.timestamp.getTime(), m.body, m.attempts]),
      [
        ['m1', T, { order: 1 }, 1],
        ['m2', T + 1, 'plain', 3],
      ],
    );
    assert.deepEqual(retries(), []);
  });

  it('retry() and retryAll() ask for redelivery; the first decision on a message wins', () => {
    const one = messageBatch(topic);
    const msgs = (one.batch as { messages: Array<{ ack(): void; retry(): void }> }).messages;
    msgs[0]?.retry();
    msgs[0]?.ack();
    msgs[1]?.ack();
    msgs[1]?.retry();
    assert.deepEqual(one.retries(), ['m1']);

    const all = messageBatch(topic);
    const b = all.batch as { messages: Array<{ ack(): void }>; retryAll(): void; ackAll(): void };
    b.messages[1]?.ack();
    b.retryAll();
    b.ackAll();
    assert.deepEqual(all.retries(), ['m1']);
  });
});

describe('SNS records, attributes and S3 keys', () => {
  const withAttrs: QueuePayload = { ...topic, messages: [{ id: 'm1', timestamp: T, body: { order: 1 }, attempts: 1, attributes: { kind: 'order' } }, topic.messages[1]!] };

  it('a topic subscription with format sns gets Records[].Sns, a string message as is and JSON as its text', () => {
    const { Records } = lambdaQueueEvent({ ...withAttrs, format: 'sns' });
    const sns = Records.map((r) => (r as { Sns: Record<string, unknown> }).Sns);
    assert.equal(Records[0]!['EventSource'], 'aws:sns');
    assert.equal(sns[0]!['Type'], 'Notification');
    assert.equal(sns[0]!['TopicArn'], 'arn:aws:sns:us-east-1:000000000000:orders');
    assert.equal(sns[0]!['Message'], '{"order":1}');
    assert.equal(sns[1]!['Message'], 'plain');
    assert.equal(sns[0]!['MessageId'], 'm1');
    assert.equal(sns[0]!['Timestamp'], '2026-01-02T03:04:05.678Z');
    assert.deepEqual(sns[0]!['MessageAttributes'], { kind: { Type: 'String', Value: 'order' } });
    assert.deepEqual(sns[1]!['MessageAttributes'], {});
  });

  it('the default SQS-like records carry messageAttributes in SQS shape; web messages as attributes', () => {
    const { Records } = lambdaQueueEvent(withAttrs);
    assert.deepEqual(Records[0]!['messageAttributes'], { kind: { stringValue: 'order', stringListValues: [], binaryListValues: [], dataType: 'String' } });
    assert.deepEqual(Records[1]!['messageAttributes'], {});
    const { batch } = messageBatch(withAttrs);
    const messages = (batch as { messages: Array<{ attributes: Record<string, string> }> }).messages;
    assert.deepEqual(
      messages.map((m) => m.attributes),
      [{ kind: 'order' }, {}],
    );
  });

  it('format sns does not change bucket records; their keys are URL-encoded as S3 does', () => {
    const payload: QueuePayload = { ...bucket, format: 'sns', messages: [{ id: 'b1', timestamp: T, body: bucketBody('created', 'a dir/ü & b+c.png'), attempts: 1 }] };
    const record = lambdaQueueEvent(payload).Records[0] as { s3: { object: { key: string } } };
    assert.equal(record.s3.object.key, 'a+dir/%C3%BC+%26+b%2Bc.png');
    assert.equal(decodeURIComponent(record.s3.object.key.replace(/\+/g, ' ')), 'a dir/ü & b+c.png');
  });
});
