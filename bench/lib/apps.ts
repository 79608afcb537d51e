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
