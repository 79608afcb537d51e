/**
 * The runtime shim: the entry point of every sandboxed instance process. It runs with Node's
 * permission model (it may read only this folder and write only its temp dir), with no
 * platform environment, and as its own uid when the host runs as root.
 *
 * Life: start → warm up (the costly first-use work: ESM loader, undici, and one dummy Lambda and
 * web invocation through the real code paths) → `ready` → wait in the pool → `load` (import the
 * function's bundle from a data: URL, so the process never reads it from disk) → serve `http` /
 * `event` invocations until the host closes the channel or kills the process. Invocations that
 * arrive while the bundle loads wait for it, so a cold start costs no extra round trip.
 *
 * Only this folder's files and node builtins may be imported here.
 */
import { syncBuiltinESMExports } from 'node:module';
import * as v8ns from 'node:v8';
import { openChannel } from './channel.js';
import { captureOutput, currentInvocation } from './capture.js';
import { startForwards } from './forward.js';
import { execute, importBundle, resolveHandler, serialize, type Invocation, type Loaded } from './execute.js';
import { installLightGlobals } from './light.js';
import { installAwsLambdaGlobal } from './lambda-stream.js';
import { receiveFlow } from './streaming.js';
import type { FunctionMeta, HostMessage, SandboxBinding } from './protocol.js';
import { RpcClient } from './rpc.js';
import { redirectTmp } from './tmp.js';
import { installStackMapping } from './stack.js';

/** The instance's private temp dir (set by the host); kept so os.tmpdir() keeps working. */
const TMPDIR = process.env['TMPDIR'];
/**
 * A writable home (the temp dir): os.homedir() falls back to the passwd entry, which a sandbox
 * uid does not have (`uv_os_homedir returned ENOENT` crashed every AWS SDK client).
 */
const HOME = process.env['HOME'] ?? TMPDIR;
/** Lambda's LAMBDA_TASK_ROOT is the code's folder; here the bundle is no file, so the working directory. */
const TASK_ROOT = process.cwd();
let lastRss = 0;
let lastRssAt = 0;
let loading: Promise<Loaded | undefined> | undefined;
/** Where the load is, so an uncaught error during it is reported as the init error (once). */
let loadStarted = false;
let loadDone = false;
let loadFailed = false;
/** Host-service forwards being opened (sent before `load`, which waits for them). */
let forwarding: Promise<void> = Promise.resolve();
/** instanceConcurrency: invocations beyond it wait in `backlog` (the host sends a few ahead to a busy instance of a fast function). */
let limit = Infinity;
let running = 0;
const backlog: Invocation[] = [];

const channel = openChannel();
const rpc = new RpcClient((m) => channel.send(m));
captureOutput(channel);
redirectTmp(TMPDIR);
lockDownProcess();
installLightGlobals();
installAwsLambdaGlobal();
installStackMapping();
// Node's own report of an uncaught error prints the offending source line first: for a bundle,
// the whole minified bundle (and the data: URL, base64) in front of the error. Report it here.
process.on('uncaughtException', crash);

channel.onMessage((message: HostMessage) => {
  switch (message.t) {
    case 'load':
      limit = message.fn.concurrency ?? Infinity;
      loading = forwarding.then(() => load(message.code, message.env, message.runtimeEnv ?? {}, message.fn, message.bindings ?? {}));
      return;
    case 'forward':
      forwarding = startForwards(message.forwards, (line) => process.stderr.write(`${line}\n`));
      return;
    case 'reply':
      rpc.receive(message);
      return;
    case 'credit':
    case 'cancel':
      receiveFlow(message);
      return;
    case 'http':
    case 'event':
      if (running >= limit) backlog.push(message);
      else start(message);
      return;
  }
});

await warmUp();
channel.send({ t: 'ready', rss: rss() });

async function load(code: string, env: Record<string, string>, runtimeEnv: Record<string, string>, fn: FunctionMeta, bindings: Record<string, SandboxBinding>): Promise<Loaded | undefined> {
  const started = performance.now();
  loadStarted = true;
  try {
    for (const key of Object.keys(process.env)) delete process.env[key];
    // Set before the bundle is imported: module-level code (SDK clients, Powertools) reads them at once.
    const paths = { ...(TMPDIR === undefined ? {} : { TMPDIR }), ...(HOME === undefined ? {} : { HOME }), LAMBDA_TASK_ROOT: TASK_ROOT };
    Object.assign(process.env, paths, runtimeEnv, env);
    const group = process.env['AWS_LAMBDA_LOG_GROUP_NAME'];
    const stream = process.env['AWS_LAMBDA_LOG_STREAM_NAME'];
    const meta: FunctionMeta = { ...fn, ...(group === undefined ? {} : { logGroup: group }), ...(stream === undefined ? {} : { logStream: stream }) };
    const loaded = await importBundle(code, env, meta, bindings, rpc.call);
    loadDone = true;
    channel.send({ t: 'loaded', initMs: performance.now() - started, style: loaded.style });
    // The host starts the waiting invocations' timeout clocks on this message: it must leave
    // now, before a handler that never yields runs.
    channel.flush();
    return loaded;
  } catch (err) {
    // In the function's log, as Lambda's "Init error" line: the message alone is in the record.
    process.stderr.write(`Init error: ${describe(err)}\n`);
    loadFailed = true;
    channel.send({ t: 'loadError', error: serialize(err) });
    channel.flush();
    return undefined;
  }
}

/** The error's stack (mapped to the user's sources), or what was thrown if it is no Error. */
function describe(err: unknown): string {
  if (err instanceof Error) return err.stack ?? `${err.name}: ${err.message}`;
  try {
    return `Uncaught ${String(err)}`;
  } catch {
    return 'Uncaught (a value that cannot be printed)';
  }
}

/**
 * An error no code caught (a throw in a timer, a rejected promise nobody awaits) ends the instance,
 * as it ends a Node process: its stack goes to the log first, and while the bundle is still
 * loading the host hears it as the init error (FUNCTION_INIT_ERROR with this message).
 */
function crash(err: unknown, origin: string): void {
  const what = origin === 'unhandledRejection' ? 'Unhandled promise rejection' : 'Uncaught exception';
  try {
    process.stderr.write(`${what}: ${describe(err)}\n`);
    if (loadStarted && !loadDone && !loadFailed) channel.send({ t: 'loadError', error: serialize(err) });
    channel.flush();
  } finally {
    process.exit(1);
  }
}

/** Run one invocation; when it is over (its waitUntil work too), the next waiting one starts. */
function start(message: Invocation): void {
  running++;
  void currentInvocation
    .run(message.id, () => invoke(message))
    .finally(() => {
      running--;
      const next = backlog.shift();
      if (next) start(next);
    });
}

async function invoke(message: Invocation): Promise<void> {
  if (!loading) {
    channel.send({ t: 'error', id: message.id, code: 'FUNCTION_ERROR', error: { name: 'Error', message: 'no function is loaded' }, rss: rss() });
    return;
  }
  const loaded = await loading;
  // A failed load was reported as loadError; the host answers the waiting invocations.
  if (loaded) await execute(loaded, message, (m) => channel.send(m), rss);
}

/** Pay the first-use costs now, while no request waits (see shared/MEASUREMENTS.md). */
async function warmUp(): Promise<void> {
  // Every bundle starts with the bundler's banner (createRequire from node:module): load that
  // builtin's ESM facade now, through the same base64 data: URL path a bundle takes.
  const banner = 'import{createRequire as r}from"node:module";const require=r("/nimbus/function.js");export default typeof require;';
  await import(`data:text/javascript;base64,${Buffer.from(banner).toString('base64')}`);
  const res = new Response('warm', { headers: { 'content-type': 'text/plain' } });
  await res.arrayBuffer();
  const req = new Request('http://warm.up/', { method: 'POST', body: '{}', headers: { a: 'b' } });
  await req.text();
  new Headers({ a: 'b' }).getSetCookie();
  const fn: FunctionMeta = { app: 'warm', name: 'up', version: 0, memory: 128, handlerExport: null };
  const lambda = resolveHandler({ handler: async () => ({ statusCode: 200, headers: { a: 'b' }, body: 'warm' }) }, {}, fn);
  const web = resolveHandler({ default: { fetch: async (r: Request) => new Response(await r.text(), { headers: { a: 'b' } }) } }, {}, fn);
  const req0 = { method: 'POST', path: '/warm', query: 'a=1', headers: { host: 'warm.up', cookie: 'a=b' }, body: '{}', b64: false, params: { a: 'b' }, route: 'POST /warm', ip: '127.0.0.1' };
  const discard = (m: unknown) => void JSON.stringify(m);
  for (const loaded of [lambda, web]) {
    await execute(loaded, { t: 'http', id: 'warm', timeoutMs: 1000, req: req0 }, discard, rss);
    await execute(loaded, { t: 'event', id: 'warm', timeoutMs: 1000, event: { warm: true } }, discard, rss);
  }
}

/** Signals cannot be confined by the permission model; a function has no reason to send any. */
function lockDownProcess(): void {
  const denied = () => {
    throw Object.assign(new Error('process.kill is not allowed in a Nimbus sandbox'), { code: 'ERR_ACCESS_DENIED' });
  };
  for (const name of ['kill', '_kill', 'setuid', 'setgid', 'seteuid', 'setegid', 'setgroups', 'initgroups'] as const) {
    Object.defineProperty(process, name, { value: denied, writable: false, configurable: false });
  }
  // V8 flags change the engine under every later check (`--allow-natives-syntax` opens %-intrinsics
  // that read and write raw memory): a function has no reason to set any (issue 8, finding 10).
  const noFlags = () => {
    throw Object.assign(new Error('v8.setFlagsFromString is not allowed in a Nimbus sandbox'), { code: 'ERR_ACCESS_DENIED' });
  };
  // The module object behind `require('v8')` (the namespace's default export) is the one to patch.
  const v8 = (v8ns as unknown as { default: object }).default;
  Object.defineProperty(v8, 'setFlagsFromString', { value: noFlags, writable: false, configurable: false });
  // `import { setFlagsFromString } from 'node:v8'` reads the ESM facade: bring it in line.
  syncBuiltinESMExports();
  // The raw bindings would give it back; the permission model already refuses process.binding, and these make sure.
  for (const name of ['binding', '_linkedBinding'] as const) {
    Object.defineProperty(process, name, {
      value: () => {
        throw Object.assign(new Error(`process.${name} is not allowed in a Nimbus sandbox`), { code: 'ERR_ACCESS_DENIED' });
      },
      writable: false,
      configurable: false,
    });
  }
}

/** RSS for the host's "max memory used"; reading it costs a syscall, so at most every 20 ms. */
function rss(): number {
  const now = Date.now();
  if (now - lastRssAt >= 20) {
    lastRss = process.memoryUsage.rss();
    lastRssAt = now;
  }
  return lastRss;
}
