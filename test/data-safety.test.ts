/**
 * Nothing already stored is lost: a deploy that stops naming a KV namespace or bucket keeps their
 * data for when the app names them again, and another app that takes the name over starts empty.
 * Only deleting the app (`nimbus rm --app`) deletes the data it owned.
 */
import { strict as assert } from 'node:assert';
import { after, before, describe, it } from 'node:test';
import { startTestNimbus, type TestNimbus } from './support/harness.js';

const kvFunction = `export default { async fetch(request, env) {
  const url = new URL(request.url);
  if (request.method === 'PUT') { await env.DATA.put('k', await request.text()); return new Response('stored'); }
  return new Response((await env.DATA.get('k')) ?? '(none)');
} };`;

function app(name: string, bound: boolean, route: string, namespace = 'shared-data'): Record<string, string> {
  const binding = bound ? `    bindings:\n      DATA: { kv: ${namespace} }\n` : '';
  const handler = bound ? kvFunction : 'export default { fetch: () => new Response("unbound") };';
  return {
    'nimbus.yaml': `app: ${name}\nfunctions:\n  store:\n    handler: src/store.js\n${binding}    triggers:\n      - http: ANY ${route}\n`,
    'src/store.js': handler,
  };
}

describe('data safety across deploys', () => {
  let n: TestNimbus;
  before(async () => {
    n = await startTestNimbus();
  });
  after(() => n.close());

  it('keeps KV data when a deploy drops the binding, and finds it again when it comes back', async () => {
    await n.deploy(app('keeper', true, '/keeper'));
    assert.equal(await (await n.fetch('/keeper', { method: 'PUT', body: 'precious' })).text(), 'stored');
    await n.deploy(app('keeper', false, '/keeper'));
    assert.equal(await (await n.fetch('/keeper')).text(), 'unbound');
    await n.deploy(app('keeper', true, '/keeper'));
    assert.equal(await (await n.fetch('/keeper')).text(), 'precious');
  });

  it('gives another app that takes over a released name an empty namespace', async () => {
    await n.deploy(app('keeper', false, '/keeper'));
    await n.deploy(app('newcomer', true, '/newcomer'));
    assert.equal(await (await n.fetch('/newcomer')).text(), '(none)');
  });

  it('keeps bucket objects when the bucket is no longer named', async () => {
    const bucketApp = (named: boolean) => ({
      'nimbus.yaml': `app: files\nfunctions:\n  f:\n    handler: src/f.js\n${named ? '    bindings:\n      FILES: { bucket: kept-files }\n' : ''}`,
      'src/f.js': 'export default { fetch: () => new Response("ok") };',
    });
    await n.deploy(bucketApp(true));
    await n.client.putObject('kept-files', 'a.txt', 'still here', 'text/plain');
    await n.deploy(bucketApp(false));
    await assert.rejects(n.client.getObject('kept-files', 'a.txt'), /BUCKET_NOT_FOUND|no deployed app names bucket/);
    await n.deploy(bucketApp(true));
    assert.equal((await n.client.getObject('kept-files', 'a.txt')).body.toString(), 'still here');
  });

  it('deletes the KV values an app owned when the app itself is deleted', async () => {
    await n.deploy(app('doomed', true, '/doomed', 'doomed-data'));
    assert.equal(await (await n.fetch('/doomed', { method: 'PUT', body: 'temporary' })).text(), 'stored');
    await n.client.deleteApp('doomed');
    await new Promise((r) => setTimeout(r, 200));
    await n.deploy(app('doomed', true, '/doomed', 'doomed-data'));
    assert.equal(await (await n.fetch('/doomed')).text(), '(none)');
  });
});
