import { describe, it } from 'node:test';
import { strict as assert } from 'node:assert';
import { parseManifest } from './parse.js';
import { catchManifestError, issueAt } from './assert-issues.js';
import type { CaughtManifestError } from './assert-issues.js';

const lines = (...l: string[]): string => `${l.join('\n')}\n`;
/** Function `f` with env S, whose trigger list starts on line 7. */
const withTriggers = (...items: string[]): Promise<CaughtManifestError> =>
  catchManifestError(() => parseManifest(lines('app: a', 'functions:', '  f:', '    handler: f.js', '    env: { S: s }', '    triggers:', ...items)));
const where = (caught: CaughtManifestError) => caught.issues.map((i) => [i.line, i.column, i.path]);

describe('parseManifest: trigger kinds', () => {
  it('names the kinds when a trigger has none, an unknown one or two', async () => {
    const caught = await withTriggers('      - sqs: jobs', '      - {}', '      - http: GET /a', '        topic: t', '      - htp: GET /b');
    assert.deepEqual(where(caught), [
      [7, 9, 'functions.f.triggers[0].sqs'],
      [8, 9, 'functions.f.triggers[1]'],
      [10, 9, 'functions.f.triggers[2].topic'],
      [11, 9, 'functions.f.triggers[3].htp'],
    ]);
    assert.equal(issueAt(caught, 'functions.f.triggers[0].sqs').message, 'unknown trigger kind "sqs": a trigger has exactly one of http, schedule, topic, webhook, bucket, email');
    assert.equal(issueAt(caught, 'functions.f.triggers[1]').message, 'a trigger needs exactly one of http, schedule, topic, webhook, bucket, email, e.g. { http: "GET /hello" } or { topic: orders }');
    assert.equal(
      issueAt(caught, 'functions.f.triggers[2].topic').message,
      'a trigger has exactly one of http, schedule, topic, webhook, bucket, email, and this one also has "http": make each its own item',
    );
    assert.match(issueAt(caught, 'functions.f.triggers[3].htp').message, /^unknown trigger kind "htp": did you mean "http"\?/);
  });

  it("lists the keys of the trigger's own kind for a misspelled or misplaced option", async () => {
    const caught = await withTriggers('      - topic: t', '        batchsize: 3', '      - http: GET /b', '        batchSize: 3');
    assert.equal(issueAt(caught, 'functions.f.triggers[0].batchsize').message, 'unknown key "batchsize": did you mean "batchSize"? keys of a topic trigger: topic, batchSize, maxBatchWindow, shape');
    assert.equal(
      issueAt(caught, 'functions.f.triggers[1].batchSize').message,
      '"batchSize" applies only to topic triggers, not to http: remove it (keys of this trigger: http, auth, cors, rateLimit, payload, alias)',
    );
    assert.deepEqual(where(caught), [
      [8, 9, 'functions.f.triggers[0].batchsize'],
      [10, 9, 'functions.f.triggers[1].batchSize'],
    ]);
  });
});

describe('parseManifest: schedule, topic, webhook and bucket errors', () => {
  it('explains bad cron expressions, rates and time zones', async () => {
    const caught = await withTriggers(
      '      - schedule: "0 2 * *"',
      '      - schedule: "61 * * * *"',
      '      - schedule: "0 0 31 2 *"',
      '      - schedule: rate(0 minutes)',
      '      - schedule: rate(5 weeks)',
      '      - schedule: rate(5 minutes)',
      '        timezone: Europe/Paris',
      '      - schedule: "0 2 * * *"',
      '        timezone: Mars/Olympus',
      '        catchUp: yes',
    );
    assert.deepEqual(where(caught), [
      [7, 19, 'functions.f.triggers[0].schedule'],
      [8, 19, 'functions.f.triggers[1].schedule'],
      [9, 19, 'functions.f.triggers[2].schedule'],
      [10, 19, 'functions.f.triggers[3].schedule'],
      [11, 19, 'functions.f.triggers[4].schedule'],
      [13, 19, 'functions.f.triggers[5].timezone'],
      [15, 19, 'functions.f.triggers[6].timezone'],
      [16, 18, 'functions.f.triggers[6].catchUp'],
    ]);
    const message = (i: number, key = 'schedule') => issueAt(caught, `functions.f.triggers[${i}].${key}`).message;
    assert.match(message(0), /^"0 2 \* \*" has 4 fields: use 5 fields "minute hour day-of-month month day-of-week"/);
    assert.match(message(1), /^"61 \* \* \* \*" is not a valid cron expression \(Invalid value for minute: 61\)/);
    assert.equal(message(2), '"0 0 31 2 *" never fires (no such date): check the day and month fields');
    assert.match(message(3), /^"rate\(0 minutes\)" is not a valid rate: write it as "rate\(N minutes\)"/);
    assert.match(message(4), /^"rate\(5 weeks\)" is not a valid rate/);
    assert.equal(message(5, 'timezone'), 'a time zone applies only to cron expressions, not to rate(...): remove timezone');
    assert.match(message(6, 'timezone'), /^unknown time zone "Mars\/Olympus": use an IANA time zone name such as "Europe\/Paris"/);
    assert.equal(message(6, 'catchUp'), 'must be true or false (got "yes")');
  });

  it('hints at quoting a cron expression that YAML reads as an alias', async () => {
    const caught = await withTriggers('      - schedule: */5 * * * *');
    assert.equal(caught.issues[0]?.line, 7);
    assert.match(caught.error.message, /quote cron expressions, e\.g\. schedule: "\*\/5 \* \* \* \*"/);
  });

  it('checks topic names and batch bounds', async () => {
    const caught = await withTriggers('      - topic: Orders', '        batchSize: 0', '        maxBatchWindow: 301');
    assert.deepEqual(where(caught), [
      [7, 16, 'functions.f.triggers[0].topic'],
      [8, 20, 'functions.f.triggers[0].batchSize'],
      [9, 25, 'functions.f.triggers[0].maxBatchWindow'],
    ]);
    assert.equal(issueAt(caught, 'functions.f.triggers[0].batchSize').message, 'must be at least 1 (got 0)');
  });

  it('checks webhook paths, secrets and headers', async () => {
    const caught = await withTriggers(
      '      - webhook: hooks/a',
      '        secret: S',
      '      - webhook: /hooks/{id}',
      '        secret: S',
      '      - webhook: /hooks/b',
      '      - webhook: /hooks/c',
      '        secret: S',
      '        header: X Signature',
    );
    assert.deepEqual(where(caught), [
      [7, 18, 'functions.f.triggers[0].webhook'],
      [9, 18, 'functions.f.triggers[1].webhook'],
      [11, 9, 'functions.f.triggers[2].secret'],
      [14, 17, 'functions.f.triggers[3].header'],
    ]);
    assert.equal(issueAt(caught, 'functions.f.triggers[0].webhook').message, 'webhook path "hooks/a" must start with "/", e.g. "/hooks/github"');
    assert.match(issueAt(caught, 'functions.f.triggers[1].webhook').message, /must be exact: parameters like "\{id\}" are not allowed/);
    assert.match(issueAt(caught, 'functions.f.triggers[2].secret').message, /^a webhook needs "secret"/);
  });

  it('checks webhook replay settings: header names, a tolerance in range and only with a timestamp header', async () => {
    const caught = await withTriggers(
      '      - webhook: /a',
      '        secret: S',
      '        deliveryHeader: X Delivery',
      '        timestampHeader: X Ts',
      '      - webhook: /b',
      '        secret: S',
      '        tolerance: 60',
      '      - webhook: /c',
      '        secret: S',
      '        timestampHeader: X-Ts',
      '        tolerance: 90000',
      '      - topic: t',
      '        tolerance: 5',
    );
    assert.deepEqual(
      caught.issues.map((i) => i.path),
      [
        'functions.f.triggers[0].deliveryHeader',
        'functions.f.triggers[0].timestampHeader',
        'functions.f.triggers[1].tolerance',
        'functions.f.triggers[2].tolerance',
        'functions.f.triggers[3].tolerance',
      ],
    );
    assert.equal(issueAt(caught, 'functions.f.triggers[0].deliveryHeader').message, 'must be an HTTP header name, e.g. "X-GitHub-Delivery"');
    assert.match(issueAt(caught, 'functions.f.triggers[1].tolerance').message, /^tolerance needs "timestampHeader"/);
    assert.equal(issueAt(caught, 'functions.f.triggers[2].tolerance').message, 'must be at most 86400 (got 90000)');
    assert.match(issueAt(caught, 'functions.f.triggers[3].tolerance').message, /applies only to webhook triggers/);
  });

  it('checks bucket events', async () => {
    const caught = await withTriggers(
      '      - { bucket: uploads, events: [] }',
      '      - { bucket: uploads, events: [created, created] }',
      '      - { bucket: uploads, events: [updated] }',
      '      - { bucket: uploads, events: created }',
    );
    assert.deepEqual(where(caught), [
      [7, 36, 'functions.f.triggers[0].events'],
      [8, 36, 'functions.f.triggers[1].events'],
      [9, 37, 'functions.f.triggers[2].events[0]'],
      [10, 36, 'functions.f.triggers[3].events'],
    ]);
    assert.match(issueAt(caught, 'functions.f.triggers[0].events').message, /^must list at least one of created, deleted/);
    assert.equal(issueAt(caught, 'functions.f.triggers[1].events').message, 'lists an event twice: name each once');
    assert.equal(issueAt(caught, 'functions.f.triggers[2].events[0]').message, 'must be one of "created", "deleted" (got "updated")');
  });
});

describe('parseManifest: webhook conflicts and secrets across the app', () => {
  it('rejects a webhook on the path of another webhook or of a POST/ANY route, and a secret not in env', async () => {
    const caught = await catchManifestError(() =>
      parseManifest(
        lines(
          'app: a',
          'defaults: { env: { SHARED: s } }',
          'functions:',
          '  api:',
          '    handler: api.js',
          '    triggers: [{ http: "POST /hooks/a" }, { http: "ANY /hooks/b" }, { http: "GET /hooks/c" }]',
          '  hooks:',
          '    handler: hooks.js',
          '    triggers:',
          '      - { webhook: /hooks/a, secret: SHARED }',
          '      - { webhook: /hooks/b, secret: SHARED }',
          '      - { webhook: /hooks/c, secret: SHARED }',
          '      - { webhook: /hooks/d, secret: MISSING }',
          '  other:',
          '    handler: other.js',
          '    triggers:',
          '      - webhook: /hooks/c',
          '        secret: SHARED',
        ),
      ),
    );
    assert.deepEqual(where(caught), [
      [10, 20, 'functions.hooks.triggers[0].webhook'],
      [11, 20, 'functions.hooks.triggers[1].webhook'],
      [13, 38, 'functions.hooks.triggers[3].secret'],
      [17, 18, 'functions.other.triggers[0].webhook'],
    ]);
    assert.equal(
      issueAt(caught, 'functions.hooks.triggers[0].webhook').message,
      'webhook path "/hooks/a" is also the route "POST /hooks/a" of function "api" (functions.api.triggers[0]): give the webhook its own path',
    );
    assert.match(issueAt(caught, 'functions.hooks.triggers[1].webhook').message, /is also the route "ANY \/hooks\/b"/);
    assert.equal(
      issueAt(caught, 'functions.hooks.triggers[3].secret').message,
      '"MISSING" is not an env variable of function "hooks": add MISSING to its env (or to defaults.env) holding the webhook\'s signing secret',
    );
    assert.equal(
      issueAt(caught, 'functions.other.triggers[0].webhook').message,
      'webhook path "/hooks/c" is also the webhook of function "hooks" (functions.hooks.triggers[2]): give each webhook its own path',
    );
    assert.match(caught.error.message, /nimbus\.yaml:13:38 functions\.hooks\.triggers\[3\]\.secret: "MISSING" is not an env variable/);
  });
});
