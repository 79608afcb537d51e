import { strict as assert } from 'node:assert';
import { tmpdir } from 'node:os';
import { describe, it } from 'node:test';
import { runCli } from './run-cli.js';

describe('nimbus event', () => {
  const event = async (...args: string[]): Promise<Record<string, unknown>> => {
    const r = await runCli(['event', ...args], { cwd: tmpdir() });
    assert.equal(r.code, 0, r.stderr);
    return JSON.parse(r.stdout) as Record<string, unknown>;
  };
  const record = (e: Record<string, unknown>): Record<string, unknown> => (e['Records'] as Record<string, unknown>[])[0] ?? {};

  it('prints the Lambda event of each trigger kind, as the sandbox builds it', async () => {
    const http = await event('http', '--method', 'get', '--path', '/hello/ada?x=1');
    assert.equal(http['version'], '2.0');
    assert.equal(http['rawPath'], '/hello/ada');
    assert.deepEqual(http['queryStringParameters'], { x: '1' });
    assert.equal(((http['requestContext'] as Record<string, unknown>)['http'] as Record<string, unknown>)['method'], 'GET');
    assert.equal((await event('schedule'))['detail-type'], 'Scheduled Event');
    const topic = record(await event('topic', '--name', 'orders', '--body', '{"id":7}'));
    assert.deepEqual([topic['eventSource'], topic['eventSourceARN'], JSON.parse(String(topic['body']))], ['nimbus:topic', 'orders', { id: 7 }]);
    assert.equal(record(await event('webhook'))['eventSource'], 'nimbus:webhook');
    const s3 = record(await event('bucket', '--name', 'uploads', '--object', 'a/b.txt'))['s3'] as { bucket: { name: string }; object: { key: string } };
    assert.deepEqual([s3.bucket.name, s3.object.key], ['uploads', 'a/b.txt']);
  });

  it('email: an SES receipt event plus the parsed body', async () => {
    const r = record(await event('email', '--name', 'orders@shop.example', '--from', 'ada@example.com', '--subject', 'Hi'));
    assert.equal(r['eventSource'], 'aws:ses');
    const ses = r['ses'] as { mail: Record<string, unknown>; receipt: Record<string, unknown> };
    assert.equal(ses.mail['source'], 'ada@example.com');
    assert.deepEqual(ses.mail['destination'], ['orders@shop.example']);
    assert.ok(Array.isArray(ses.mail['headers']));
    assert.deepEqual(Object.keys(ses.mail['commonHeaders'] as object).sort(), ['date', 'from', 'messageId', 'subject', 'to']);
    assert.deepEqual(ses.receipt['recipients'], ['orders@shop.example']);
    // The parsed body SES omits, where the sandbox puts it.
    const content = (ses as unknown as { content: Record<string, unknown> }).content;
    assert.deepEqual([typeof content['text'], typeof content['html'], content['attachments']], ['string', 'string', []]);
    const web = await event('email', '--shape', 'web');
    assert.deepEqual(Object.keys(web).sort(), ['attachments', 'from', 'headers', 'html', 'raw', 'rawSize', 'subject', 'text', 'to']);
  });

  it('web shapes, and a clear refusal of an unknown kind', async () => {
    assert.deepEqual(Object.keys(await event('schedule', '--shape', 'web')).sort(), ['cron', 'scheduledTime', 'type']);
    assert.equal((await event('topic', '--shape', 'web'))['queue'], 'orders');
    const bad = await runCli(['event', 'sqs'], { cwd: tmpdir() });
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /expected one of http, schedule, topic, bucket, webhook, email/);
  });
});
