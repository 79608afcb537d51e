/**
 * Bench apps, written as real app directories (nimbus.yaml + handler files) so they go through
 * the same manifest, bundler and deploy path as a user's app.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { stringify } from 'yaml';

/** Handler sources. Each takes a tag that ends up in the bundle so every function's code differs. */
export const handlers = {
  /** Web style, the `{ fetch }` default export. */
  web: (tag = '') => `// ${tag}\nexport default { async fetch(request, env, ctx) { return new Response('hello'); } };\n`,
  /** Lambda style, an exported `handler`. */
  lambda: (tag = '') => `// ${tag}\nexport const handler = async (event, context) => ({ statusCode: 200, body: 'hello' });\n`,
  /** Waits without using CPU. */
  sleep: (ms: number) => `export const handler = async () => { await new Promise((r) => setTimeout(r, ${ms})); return { statusCode: 200, body: 'slept' }; };\n`,
  /** Spins a CPU for `ms` on every invocation. */
  busy: (ms: number) => `export const handler = async () => { const end = Date.now() + ${ms}; let x = 0; while (Date.now() < end) x++; return { statusCode: 200, body: String(x > 0) }; };\n`,
} as const;

/**
 * Hostile functions for the noisy-neighbour soak (issue 8): each attacks one shared resource of
 * the node for as long as it is driven. None of them should slow a well-behaved neighbour much.
 */
export const hostile = {
  /** Grows Buffers past its memory until the platform stops it (and keeps growing after answering). */
  memory: () =>
    `export const handler = async () => { const keep = []; const grow = () => { keep.push(Buffer.alloc(32 << 20, 1)); if (keep.length < 64) setTimeout(grow, 2); }; grow(); await new Promise((r) => setTimeout(r, 50)); return { statusCode: 200, body: String(keep.length) }; };\n`,
  /** Answers at once, then spins on the event loop while idle. */
  idleCpu: () =>
    `let spinning = false; const spin = () => { const end = Date.now() + 20; while (Date.now() < end); setImmediate(spin); };\nexport const handler = async () => { if (!spinning) { spinning = true; setImmediate(spin); } return { statusCode: 200, body: 'ok' }; };\n`,
  /** Opens as many connections as it can (to the gateway, when it can reach it) and files, and holds them. */
  fds: (port: number) =>
    `import net from 'node:net'; import fs from 'node:fs'; import os from 'node:os'; const held = [];\nexport const handler = async () => { for (let i = 0; i < 2000; i++) { try { const s = net.connect(${port}, '127.0.0.1'); s.on('error', () => {}); held.push(s); } catch { break; } } for (let i = 0; i < 2000; i++) { try { held.push(fs.openSync(os.tmpdir() + '/f' + (i % 50), 'a')); } catch { break; } } await new Promise((r) => setTimeout(r, 200)); return { statusCode: 200, body: String(held.length) }; };\n`,
  /** Writes 16 KB log lines as fast as it can for the call. */
  logs: () => `export const handler = async () => { const line = 'x'.repeat(16384); for (let i = 0; i < 2000; i++) console.log(line); return { statusCode: 200, body: 'logged' }; };\n`,
} as const;

export interface BenchFunction {
  /** Handler module source (written to src/<name>.ts). */
  source: string;
  /** `GET /path` routes. */
  routes?: string[];
  memory?: number;
  timeout?: number;
  concurrency?: number | null;
  instanceConcurrency?: number;
  minInstances?: number;
  idleTimeout?: number;
}

export interface BenchApp {
  app: string;
  functions: Record<string, BenchFunction>;
}

/** Write `spec` as an app directory under `parent`; returns the app's directory. */
export function writeApp(parent: string, spec: BenchApp): string {
  const dir = join(parent, spec.app);
  mkdirSync(join(dir, 'src'), { recursive: true });
  const functions: Record<string, Record<string, unknown>> = {};
  for (const [name, fn] of Object.entries(spec.functions)) {
    writeFileSync(join(dir, 'src', `${name}.ts`), fn.source);
    const { source: _source, routes, ...settings } = fn;
    functions[name] = {
      handler: `src/${name}.ts`,
      ...settings,
      ...(routes === undefined ? {} : { triggers: routes.map((r) => ({ http: r })) }),
    };
  }
  writeFileSync(join(dir, 'nimbus.yaml'), stringify({ app: spec.app, functions }));
  return dir;
}

/** Zero-padded names so listings sort: fn(7, 100) → 'f007'. */
export function fnName(i: number, total: number): string {
  return `f${String(i).padStart(String(total - 1).length, '0')}`;
}
