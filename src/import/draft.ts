/**
 * The nimbus.yaml an import produces, as plain data (the manifest as a user would write it), and
 * the checks and name fixes both template kinds share. The draft is validated by the manifest's
 * own parser afterwards, so a template deploys exactly as its `nimbus import` output would.
 */
import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import { APP_NAME, ENV_KEY, FUNCTION_NAME, handlerCandidates, parseHandler, parseHttpRoute, RESERVED_ENV_PREFIX, RESOURCE_NAME, scheduleProblem } from '../manifest/index.js';
import type { ImportIssue, KeyPath, Report } from './report.js';

/** A trigger as nimbus.yaml writes it: `{ http: 'GET /x', payload: '1.0' }`, `{ topic: orders }`, … */
export type DraftTrigger = Record<string, unknown>;

export interface DraftFunction {
  handler: string;
  memory?: number;
  timeout?: number;
  ephemeralStorage?: number;
  concurrency?: number;
  minInstances?: number;
  retries?: number;
  maxEventAge?: number;
  env?: Record<string, string>;
  triggers?: DraftTrigger[];
}

export interface DraftManifest {
  app: string;
  functions: Record<string, DraftFunction>;
}

/** What `importTemplate` returns: the draft and what did not map. */
export interface ImportResult {
  kind: 'serverless' | 'sam';
  /** The template's path as given. */
  file: string;
  manifest: DraftManifest;
  warnings: ImportIssue[];
}

/** Lower-case letters, digits and "-", starting with a letter: what `app:` accepts. */
export function appName(name: unknown, report: Report, path: KeyPath): string {
  const given = typeof name === 'string' ? name : '';
  let fixed = given
    .toLowerCase()
    .replace(/[^a-z0-9-]+/g, '-')
    .replace(/^-+|-+$/g, '');
  if (!/^[a-z]/.test(fixed)) fixed = `app-${fixed}`.replace(/-+$/, '');
  fixed = fixed.slice(0, 63).replace(/-+$/, '');
  if (!APP_NAME.test(fixed)) fixed = 'app';
  if (fixed !== given) report.warn(path, `"${given}" is not a Nimbus app name (lower-case letters, digits, "-"): the app is named "${fixed}"`);
  return fixed;
}

export function functionName(name: string, report: Report, path: KeyPath): string {
  if (FUNCTION_NAME.test(name)) return name;
  let fixed = name.replace(/[^A-Za-z0-9_-]+/g, '-').slice(0, 64);
  if (!/^[A-Za-z]/.test(fixed)) fixed = `fn-${fixed}`.slice(0, 64);
  report.warn(path, `"${name}" is not a Nimbus function name (letters, digits, "_", "-", starting with a letter): the function is named "${fixed}"`);
  return fixed;
}

/** A topic or bucket name from a name or an ARN (`arn:aws:sns:us-east-1:123:orders` → `orders`). */
export function resourceName(value: string, report: Report, path: KeyPath, kind: 'topic' | 'bucket' | 'queue'): string {
  const name = value.startsWith('arn:') ? (value.split(':').at(-1) ?? value) : value;
  if (RESOURCE_NAME.test(name)) return name;
  let fixed = name
    .toLowerCase()
    .replace(/[^a-z0-9.-]+/g, '-')
    .replace(/^[^a-z0-9]+/, '')
    .slice(0, 63);
  if (fixed === '') fixed = kind;
  report.warn(path, `"${name}" is not a Nimbus ${kind === 'bucket' ? 'bucket' : 'topic'} name (lower-case letters, digits, ".", "-"): it is named "${fixed}"`);
  return fixed;
}

/** Node runtimes run; anything else (python3.12, java21, provided.al2) cannot. */
export function checkRuntime(runtime: unknown, report: Report, path: KeyPath): void {
  if (runtime === undefined) return;
  if (typeof runtime === 'string' && /^nodejs\d+\.x$/.test(runtime)) return;
  report.error(path, `runtime ${JSON.stringify(runtime)} is not supported: Nimbus runs Node.js handlers only (nodejs18.x, nodejs20.x, nodejs22.x)`);
}

/** Lambda's 128-10240 MB onto Nimbus's 64-4096. */
export function memory(value: unknown, report: Report, path: KeyPath): number | undefined {
  const mb = integer(value, report, path);
  if (mb === undefined) return undefined;
  if (mb > 4096) {
    report.warn(path, `${mb} MB is more than Nimbus's 4096 MB limit: the function gets 4096 MB`);
    return 4096;
  }
  return Math.max(mb, 64);
}

export function timeout(value: unknown, report: Report, path: KeyPath): number | undefined {
  if (value === undefined) return undefined;
  if (typeof value === 'number' && value > 0 && value <= 900) return value;
  report.warn(path, `${JSON.stringify(value)} is not a timeout in seconds (up to 900): the default is used`);
  return undefined;
}

export function integer(value: unknown, report: Report, path: KeyPath): number | undefined {
  if (value === undefined || value === null) return undefined;
  const n = typeof value === 'string' && /^\d+$/.test(value) ? Number(value) : value;
  if (typeof n === 'number' && Number.isInteger(n) && n >= 0) return n;
  report.warn(path, `${JSON.stringify(value)} is not a whole number: ignored`);
  return undefined;
}

/** Environment variables as strings; keys Nimbus cannot carry are warned about. */
export function environment(vars: unknown, report: Report, path: KeyPath): Record<string, string> {
  const out: Record<string, string> = {};
  if (vars === undefined || vars === null) return out;
  if (!isRecord(vars)) {
    report.warn(path, 'is not a mapping of variables: ignored');
    return out;
  }
  for (const [key, value] of Object.entries(vars)) {
    if (!ENV_KEY.test(key) || key.startsWith(RESERVED_ENV_PREFIX)) {
      report.warn([...path, key], `"${key}" cannot be an environment variable on Nimbus (letters, digits, "_"; not NIMBUS_…): left out`);
    } else if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') {
      out[key] = String(value);
    } else {
      report.warn([...path, key], `the value could not be resolved to a string: left out; set it in nimbus.yaml (or as a secret: { secret: <name> })`);
    }
  }
  return out;
}

/** `/users/{id}/` → `/users/{id}`; `users` → `/users`. */
export function httpPath(path: string): string {
  let p = path.trim();
  if (!p.startsWith('/')) p = `/${p}`;
  if (p.length > 1) p = p.replace(/\/+$/, '');
  return p;
}

/** An API Gateway method (`get`, `*`, `any`) as a Nimbus one. */
export function httpMethod(method: unknown): string {
  const m = typeof method === 'string' ? method.trim().toUpperCase() : 'ANY';
  return m === '*' || m === '' ? 'ANY' : m;
}

/** S3 event names (`s3:ObjectCreated:*`, `s3:ObjectRemoved:Delete`) as bucket trigger events. */
export function bucketEvents(events: readonly unknown[], report: Report, path: KeyPath): string[] {
  const out = new Set<string>();
  events.forEach((event, i) => {
    const name = String(event);
    if (name.startsWith('s3:ObjectCreated:')) out.add('created');
    else if (name.startsWith('s3:ObjectRemoved:')) out.add('deleted');
    else report.warn(events.length === 1 ? path : [...path, i], `S3 event "${name}" has no Nimbus equivalent (only object created and removed): left out`);
  });
  return ['created', 'deleted'].filter((e) => out.has(e));
}

/**
 * An error unless the handler's file exists in `dir` (`.js`, `.mjs`, `.cjs` or `.ts`), so a
 * template pointing at nothing is refused before anything is deployed.
 */
export async function checkHandler(dir: string, handler: string, report: Report, path: KeyPath): Promise<void> {
  let candidates: string[];
  try {
    candidates = handlerCandidates(parseHandler(handler));
  } catch (err) {
    report.error(path, (err as Error).message);
    return;
  }
  for (const candidate of candidates) {
    const info = await stat(join(dir, candidate)).catch(() => undefined);
    if (info?.isFile() === true) return;
  }
  report.error(path, `the handler file of "${handler}" does not exist (tried ${candidates.join(', ')})`);
}

/** Keys not read by the mapping, each warned about once with its path. */
export function warnUnmapped(obj: Record<string, unknown>, known: readonly string[], report: Report, path: KeyPath, why: (key: string) => string): void {
  for (const key of Object.keys(obj)) if (!known.includes(key)) report.warn([...path, key], why(key));
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** A scalar as text (objects as JSON, nothing as ''), for values read from a template. */
export function text(value: unknown): string {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return value === undefined || value === null ? '' : JSON.stringify(value);
}

/** A template value as a list (anything else as an empty one). */
export function list(value: unknown): unknown[] {
  return Array.isArray(value) ? (value as unknown[]) : [];
}

/**
 * The routes and schedules of one event, checked as nimbus.yaml would check them but reported at
 * the template's key (a bad `cron(...)` points at serverless.yml, not at a generated file).
 */
export function checkedTriggers(triggers: DraftTrigger[], report: Report, path: KeyPath): DraftTrigger[] {
  return triggers.filter((t) => {
    let problem: string | null = null;
    if (typeof t['http'] === 'string') {
      try {
        parseHttpRoute(t['http']);
      } catch (err) {
        problem = (err as Error).message;
      }
    }
    if (typeof t['schedule'] === 'string') problem = scheduleProblem(t['schedule'], typeof t['timezone'] === 'string' ? t['timezone'] : null);
    if (problem !== null) report.error(path, problem);
    return problem === null;
  });
}
