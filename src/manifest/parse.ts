/**
 * `nimbus.yaml` text → AppSpec. Reports every problem in one MANIFEST_INVALID error, each with
 * file, line, column and key path: YAML syntax first (nothing else is reliable then), else the
 * schema's issues together with the cross-field checks of the functions that did validate.
 */
import { LineCounter, parseDocument } from 'yaml';
import { FUNCTION_DEFAULTS } from '../domain/config.js';
import type { AppSpec, Destination, FunctionConfig, HttpTrigger, Trigger } from '../domain/types.js';
import { toCors, toRateLimit, toRouteAuth } from './route-policy-schema.js';
import type { ParsedTrigger, RoutePolicy } from './triggers-schema.js';
import { formatPath, manifestError } from './issues.js';
import type { ManifestIssue } from './issues.js';
import { locate } from './locate.js';
import type { Position } from './locate.js';
import { fromZodIssues, manifestErrorMap } from './messages.js';
import type { PathIssue } from './messages.js';
import { defaultsSchema, FUNCTION_NAME, functionSchema, manifestSchema } from './schema.js';
import type { ParsedDefaults, ParsedFunction } from './schema.js';
import { checkFunctions } from './semantic.js';
import { rawPathOf } from './raw-path.js';
import { checkStageName, stagedSpec, substituteStage } from './stage.js';
import { syntaxIssues } from './syntax.js';

/** What a function gets when neither it nor `defaults` sets a value. */
export const BUILTIN_DEFAULTS = FUNCTION_DEFAULTS;

/** A parsed manifest plus a way back from key paths to positions (for later checks, e.g. files). */
export interface ParsedManifestDocument {
  spec: AppSpec;
  locate(path: readonly (string | number)[]): Position;
}

/**
 * Parse and validate manifest text; `file` only names it in messages.
 * @throws NimbusError MANIFEST_INVALID with `details: { file, issues }`.
 */
export function parseManifest(text: string, file = 'nimbus.yaml', stage?: string): AppSpec {
  if (stage !== undefined) checkStageName(stage, file);
  const spec = parseManifestDocument(substituteStage(text, stage), file).spec;
  return stage === undefined ? spec : stagedSpec(spec, stage, file);
}

/** {@link parseManifest}, keeping the document so callers can report more problems by line. */
export function parseManifestDocument(text: string, file = 'nimbus.yaml'): ParsedManifestDocument {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true });
  const at = (path: readonly (string | number)[], atKey = false): Position => locate(doc, lineCounter, path, atKey);

  if (doc.errors.length > 0) throw manifestError(file, syntaxIssues(doc, lineCounter, text));

  let raw: unknown;
  try {
    raw = doc.toJS({ maxAliasCount: 100 });
  } catch (err) {
    // Unresolved or runaway aliases only surface when the document is converted.
    throw manifestError(file, [{ path: '', message: `YAML: ${(err as Error).message}` }]);
  }
  if (raw === null || raw === undefined) {
    const message = 'the file is empty: start with "app: <name>" and a "functions:" mapping (or run `nimbus init`)';
    throw manifestError(file, [{ path: '', line: 1, column: 1, message }]);
  }

  const result = manifestSchema.safeParse(raw, { error: manifestErrorMap });
  const { functions, issues: semantic } = normalizeFunctions(raw);
  const problems: PathIssue[] = [...(result.success ? [] : fromZodIssues(result.error.issues, raw)), ...semantic];
  if (!result.success || problems.length > 0) {
    const located = (p: PathIssue): ManifestIssue => ({ path: formatPath(p.path), ...at(p.path, p.atKey), message: p.message });
    throw manifestError(file, problems.map(located));
  }
  const { app, routes, shared } = result.data;
  return { spec: { app, ...(routes ? { routes } : {}), ...(shared ? { shared } : {}), functions }, locate: (path) => at(path) };
}

/**
 * Applies defaults to each function that validates on its own and runs the cross-field checks
 * on those, so one run reports a route conflict even when another function has a typo.
 */
function normalizeFunctions(raw: unknown): { functions: Record<string, FunctionConfig>; issues: PathIssue[] } {
  const functions: Record<string, FunctionConfig> = {};
  const rawFunctions = isRecord(raw) ? raw['functions'] : undefined;
  if (!isRecord(raw) || !isRecord(rawFunctions)) return { functions, issues: [] };
  const parsedDefaults = defaultsSchema.safeParse(raw['defaults'] ?? {});
  const defaults = parsedDefaults.success ? parsedDefaults.data : {};
  for (const [name, value] of Object.entries(rawFunctions)) {
    const parsed = functionSchema.safeParse(value);
    if (FUNCTION_NAME.test(name) && parsed.success) functions[name] = applyDefaults(parsed.data, defaults);
  }
  const seen = new Set<string>();
  const issues = checkFunctions(functions, Object.keys(rawFunctions))
    .map(({ path, message }): PathIssue => ({ ...rawPathOf(path, functions, raw), message }))
    // A default shared by several functions fails the same way for each: say it once.
    .filter((issue) => {
      const key = JSON.stringify([issue.path, issue.message]);
      if (seen.has(key)) return false;
      seen.add(key);
      return true;
    });
  return { functions, issues };
}

function applyDefaults(fn: ParsedFunction, defaults: ParsedDefaults): FunctionConfig {
  const pick = <K extends keyof typeof BUILTIN_DEFAULTS>(key: K) => fn[key] ?? defaults[key] ?? BUILTIN_DEFAULTS[key];
  return {
    handler: fn.handler,
    memory: pick('memory'),
    // Only when set: configs without it read as the default (DEFAULT_EPHEMERAL_MB of the domain).
    ...ephemeral(fn.ephemeralStorage ?? defaults.ephemeralStorage),
    timeout: pick('timeout'),
    // null in the file means "no limit" and must override a default, so `??` would be wrong here.
    concurrency: fn.concurrency !== undefined ? fn.concurrency : (defaults.concurrency ?? null),
    instanceConcurrency: pick('instanceConcurrency'),
    minInstances: pick('minInstances'),
    idleTimeout: pick('idleTimeout'),
    maxQueueWait: pick('maxQueueWait'),
    // A function's own value (plain or secret) replaces the default's of the same name.
    ...splitEnv({ ...defaults.env, ...fn.env }),
    triggers: (fn.triggers ?? []).map((t) => withRouteDefaults(t, defaults)),
    retries: pick('retries'),
    maxEventAge: pick('maxEventAge'),
    // Per key, and null in the function lifts a default destination.
    destinations: {
      onSuccess: destination(fn.destinations?.onSuccess, defaults.destinations?.onSuccess),
      onFailure: destination(fn.destinations?.onFailure, defaults.destinations?.onFailure),
    },
    bindings: { ...defaults.bindings, ...fn.bindings },
    // Only when set, so functions that do not use it keep their version hash.
    ...((fn.network ?? defaults.network) ? { network: fn.network ?? defaults.network } : {}),
  };
}

/** Plain values into `env`, `{ secret }` references into `secrets` (only when there are any: the version hash stays). */
function splitEnv(merged: Record<string, string | { secret: string }>): { env: Record<string, string>; secrets?: Record<string, string> } {
  const env: Record<string, string> = {};
  const secrets: Record<string, string> = {};
  for (const [k, v] of Object.entries(merged)) {
    if (typeof v === 'string') env[k] = v;
    else secrets[k] = v.secret;
  }
  return Object.keys(secrets).length > 0 ? { env, secrets } : { env };
}

/** An http trigger gets the `defaults:` auth, cors and rateLimit it neither sets nor lifts with `none`. */
function withRouteDefaults(trigger: ParsedTrigger, defaults: ParsedDefaults): Trigger {
  if (trigger.type !== 'http') return trigger;
  const { lifted = [], ...route } = trigger as HttpTrigger & { lifted?: RoutePolicy[] };
  const out: HttpTrigger = route;
  const keep = (key: RoutePolicy) => route[key] === undefined && !lifted.includes(key) && defaults[key] !== undefined && defaults[key] !== 'none';
  if (keep('auth') && defaults.auth !== undefined && defaults.auth !== 'none') out.auth = toRouteAuth(defaults.auth);
  if (keep('cors') && defaults.cors !== undefined && defaults.cors !== 'none') out.cors = toCors(defaults.cors);
  if (keep('rateLimit') && defaults.rateLimit !== undefined && defaults.rateLimit !== 'none') out.rateLimit = toRateLimit(defaults.rateLimit);
  return out;
}

function ephemeral(mb: number | undefined): { ephemeralStorage?: number } {
  return mb === undefined ? {} : { ephemeralStorage: mb };
}

function destination(own: Destination | null | undefined, fallback: Destination | null | undefined): Destination | null {
  return own !== undefined ? own : (fallback ?? null);
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
