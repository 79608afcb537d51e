/**
 * The web dashboard end to end: a real node serves the built app at the admin port's `/`, and a
 * headless Chromium (driven by Playwright) signs in with a key, reads the functions, the overview
 * chart and totals, one invocation's log line, and redrives a dead letter from the Events page.
 * Skips only when /usr/bin/chromium is missing (`.ci/run` installs it).
 */
import { strict as assert } from 'node:assert';
import { existsSync } from 'node:fs';
import { copyFile, mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { eventually, manifest, startTestNimbus, type TestNimbus } from './support/harness.js';

const CHROMIUM = '/usr/bin/chromium';
const ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'];
const skip = existsSync(CHROMIUM) ? false : `${CHROMIUM} is missing: install Debian's chromium package to run the dashboard's browser tests`;

const FILES = {
  'src/hello.mjs': `export const handler = async (event) => { console.log('hello line ' + event.n); return { ok: event.n }; };`,
  // Fails its first delivery on this instance, then succeeds: a dead letter (retries: 0) that a redrive cures.
  'src/once.mjs': `let runs = 0;
export const handler = async () => { runs++; console.log('once run ' + runs); if (runs === 1) throw new Error('first run fails'); return { runs }; };`,
};

describe('dashboard', { skip }, () => {
  let n: TestNimbus;
  let profile: string;
  let context: BrowserContext;
  let page: Page;

  before(async () => {
    n = await startTestNimbus({ events: { backoff: { baseMs: 50, maxMs: 100, jitter: 'equal' } } });
    await n.deploy({ 'nimbus.yaml': manifest('shop', { hello: { handler: 'src/hello.handler' }, once: { handler: 'src/once.handler', retries: 0 } }), ...FILES });
    for (let i = 1; i <= 3; i++) await n.client.invoke('shop', 'hello', { n: i });
    profile = await mkdtemp(join(tmpdir(), 'nimbus-chromium-'));
    context = await chromium.launchPersistentContext(profile, { executablePath: CHROMIUM, headless: true, args: ARGS, viewport: { width: 1280, height: 900 } });
    page = context.pages()[0] ?? (await context.newPage());
  });
  after(async () => {
    await context?.close();
    if (profile) await rm(profile, { recursive: true, force: true });
    await n?.close();
  });

  it('serves the app with cache headers, falls back to index.html for client routes, and refuses path traversal', async () => {
    const index = await fetch(`${n.adminUrl}/functions/shop/hello`);
    assert.equal(index.status, 200);
    assert.match(index.headers.get('content-type') ?? '', /text\/html/);
    assert.equal(index.headers.get('cache-control'), 'no-cache');
    const asset = /src="(\/assets\/[^"]+\.js)"/.exec(await index.text())?.[1];
    assert.ok(asset, 'index.html references a hashed script');
    const js = await fetch(`${n.adminUrl}${asset}`);
    assert.match(js.headers.get('content-type') ?? '', /text\/javascript/);
    assert.match(js.headers.get('cache-control') ?? '', /immutable/);
    for (const evil of ['/..%2f..%2fpackage.json', '/assets/..%2f..%2f..%2fpackage.json', '/%2e%2e/%2e%2e/package.json']) {
      const res = await fetch(`${n.adminUrl}${evil}`);
      assert.ok(!(await res.text()).includes('"name": "nimbus"'), `${evil} stays inside the dashboard`);
    }
    assert.equal((await fetch(`${n.adminUrl}/assets/missing.js`)).status, 404);
    // The API is untouched: unknown /v1 paths are still the API's 401/404, not the app.
    assert.equal((await fetch(`${n.adminUrl}/v1/nothing`)).status, 401);
  });

  it('refuses a wrong key, then signs in and keeps the key out of the URL', async () => {
    await page.goto(`${n.adminUrl}/`);
    await page.fill('input[name=key]', 'not-a-key');
    await page.click('button[type=submit]');
    await page.waitForSelector('.signin .error');
    await page.fill('input[name=key]', n.adminKey);
    await page.click('button[type=submit]');
    await page.waitForSelector('header nav');
    assert.ok(!page.url().includes(n.adminKey));
    assert.equal(await page.evaluate('sessionStorage.getItem("nimbus.key")'), n.adminKey);
  });

  it('shows the overview chart with the invocation count, and the range in the URL', async () => {
    await page.goto(`${n.adminUrl}/?range=1h`);
    await page.waitForSelector('[data-chart=Invocations] canvas');
    await eventually(async () => (await page.textContent('[data-total=invocations] b')) === '3', 15_000, 'the overview total of 3 invocations');
    await page.selectOption('select[aria-label=range]', '24h');
    await eventually(() => new URL(page.url()).searchParams.get('range') === '24h', 5000, 'the range in the URL');
    await page.waitForSelector('[data-chart=Invocations] canvas');
    const shot = join(profile, 'overview.png');
    await page.screenshot({ path: shot, fullPage: true });
    assert.ok((await stat(shot)).size > 1000);
    if (process.env['NIMBUS_DASHBOARD_SCREENSHOT']) await copyFile(shot, join(import.meta.dirname, '..', '..', 'docs', 'dashboard.png'));
  });

  it('lists the deployed functions and opens one with its config and chart', async () => {
    await page.click('header a[href="/functions"]');
    await page.waitForSelector('[data-function="shop/hello"]');
    assert.ok(await page.$('[data-function="shop/once"]'));
    await page.click('[data-function="shop/hello"] a');
    await page.waitForSelector('[data-chart=Invocations] canvas');
    await eventually(async () => (await page.textContent('[data-total=invocations] b')) === '3', 15_000, "the function's total");
    assert.match((await page.textContent('pre')) ?? '', /"file": "src\/hello\.mjs"/);
  });

  it('opens an invocation and reads its log line', async () => {
    await page.goto(`${n.adminUrl}/invocations?app=shop&function=hello`);
    await page.waitForSelector('[data-invocation] a');
    assert.equal((await page.$$('[data-invocation]')).length, 3);
    await page.click('[data-invocation] a');
    await eventually(async () => /hello line \d/.test((await page.textContent('pre.logs')) ?? ''), 15_000, 'the log line');
    assert.match((await page.textContent('pre.record')) ?? '', /"status": "ok"/);
  });

  it('redrives a dead letter from the Events page, and the function runs again', async () => {
    await n.client.invokeAsync('shop', 'once', { order: 1 });
    await eventually(async () => (await n.client.listDead('shop', 'once')).length === 1, 15_000, 'the dead letter');
    await page.click('header a[href="/events"]');
    await eventually(async () => (await page.textContent('[data-dlq="shop/once"] .count')) === '1', 15_000, 'one dead letter on the page');
    await page.click('[data-dlq="shop/once"] button');
    await page.waitForSelector('text=1 event(s) queued again');
    await eventually(async () => (await n.client.logs('shop', 'once')).lines.some((l) => l.line === 'once run 2'), 15_000, 'the second run');
    assert.equal((await n.client.listDead('shop', 'once')).length, 0);
    await eventually(async () => (await page.textContent('[data-dlq="shop/once"] .count')) === '0', 15_000, 'the empty DLQ on the page');
  });
});
