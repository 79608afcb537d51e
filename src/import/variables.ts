/**
 * serverless.yml variables: `${self:path}`, `${env:NAME}`, `${opt:stage}`, `${sls:stage}` and
 * fallbacks (`${opt:stage, 'dev'}`, `${env:X, self:custom.x}`) are resolved; any other source
 * (`${ssm:…}`, `${file(…)}`, `${cf:…}`, `${aws:…}`) uses its fallback when it has one, else is
 * reported with its key path and becomes an empty string.
 */
import type { KeyPath, Report } from './report.js';
import { isRecord, text } from './draft.js';

export interface VariableSources {
  /** The environment `${env:…}` reads (the CLI's, passed in: nothing here reads process.env). */
  env: Readonly<Record<string, string | undefined>>;
  /** `--stage`, when given. */
  stage?: string;
}

// The innermost `${…}`: nested variables resolve first, as the Framework does.
const INNERMOST = /\$\{([^${}]*)\}/;
const MAX_DEPTH = 20;

/** The document with every variable resolved; the stage `${sls:stage}` stood for. */
export function resolveVariables(doc: Record<string, unknown>, sources: VariableSources, report: Report): { doc: Record<string, unknown>; stage: string } {
  const resolver = new Resolver(doc, sources, report);
  const provider = isRecord(doc['provider']) ? doc['provider'] : {};
  const declared = resolver.value(provider['stage'], ['provider', 'stage'], 0);
  const stage = sources.stage ?? (typeof declared === 'string' && declared !== '' ? declared : 'dev');
  resolver.stage = stage;
  return { doc: resolver.value(doc, [], 0) as Record<string, unknown>, stage };
}

class Resolver {
  stage: string | undefined;

  constructor(
    private readonly root: Record<string, unknown>,
    private readonly sources: VariableSources,
    private readonly report: Report,
  ) {}

  value(value: unknown, path: KeyPath, depth: number): unknown {
    if (typeof value === 'string') return this.string(value, path, depth);
    if (Array.isArray(value)) return value.map((v, i) => this.value(v, [...path, i], depth));
    if (isRecord(value)) return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, this.value(v, [...path, k], depth)]));
    return value;
  }

  private string(input: string, path: KeyPath, depth: number): unknown {
    let current: unknown = input;
    while (typeof current === 'string') {
      const match = INNERMOST.exec(current);
      if (match === null) return current;
      if (depth > MAX_DEPTH) {
        this.report.warn(path, `variables nest or refer to each other too deeply (${input}): left empty`);
        return '';
      }
      const resolved = this.variable(match[1] ?? '', path, depth + 1);
      // A value that is the variable alone keeps its type (a number, a mapping); else it is spliced in.
      if (match[0] === current) return resolved ?? '';
      const spliced = text(resolved);
      current = current.replace(match[0], () => spliced);
    }
    return current;
  }

  /** `opt:stage, 'dev'`: each source in turn until one has a value. */
  private variable(body: string, path: KeyPath, depth: number): unknown {
    const choices = splitFallbacks(body);
    const unresolved: string[] = [];
    for (const choice of choices) {
      const literal = /^(['"])(.*)\1$/s.exec(choice);
      const number = /^-?\d+(\.\d+)?$/.test(choice) ? Number(choice) : undefined;
      const found = literal !== null ? { value: literal[2], supported: true } : number !== undefined ? { value: number, supported: true } : this.source(choice, path, depth);
      if (found.supported === false) unresolved.push(choice);
      if (found.value !== undefined) {
        if (unresolved.length > 0) this.report.warn(path, `\${${unresolved.join(', ')}} cannot be read by Nimbus: the fallback "${text(found.value)}" is used`);
        return found.value;
      }
    }
    const why = unresolved.length > 0 ? `the source ${unresolved.map((u) => `"${u.split(':')[0] ?? u}"`).join(', ')} is not supported (only self, env, opt:stage, sls:stage)` : 'it has no value';
    this.report.warn(path, `\${${body}} could not be resolved (${why}): left empty; set the value in nimbus.yaml`);
    return undefined;
  }

  private source(ref: string, path: KeyPath, depth: number): { value: unknown; supported: boolean } {
    const colon = ref.indexOf(':');
    const kind = colon < 0 ? ref : ref.slice(0, colon);
    const arg = colon < 0 ? '' : ref.slice(colon + 1).trim();
    switch (kind) {
      case 'self': {
        const target = lookup(this.root, arg);
        return { value: target === undefined ? undefined : this.value(target, path, depth), supported: true };
      }
      case 'env':
        return { value: this.sources.env[arg] === '' ? undefined : this.sources.env[arg], supported: true };
      case 'opt':
        if (arg === 'stage') return { value: this.sources.stage, supported: true };
        return { value: undefined, supported: false };
      case 'sls':
        if (arg === 'stage') return { value: this.stage ?? this.sources.stage, supported: true };
        return { value: undefined, supported: false };
      default:
        return { value: undefined, supported: false };
    }
  }
}

/** `self:a.b` → root.a.b; `self:` → the root; `self:list.0` indexes lists. */
function lookup(root: unknown, dotted: string): unknown {
  if (dotted === '') return root;
  let node: unknown = root;
  for (const key of dotted.split('.')) {
    if (Array.isArray(node)) node = node[Number(key)];
    else if (isRecord(node)) node = node[key];
    else return undefined;
  }
  return node;
}

/** Splits on commas outside quotes and parentheses (`file(a,b)` stays whole). */
function splitFallbacks(body: string): string[] {
  const out: string[] = [];
  let depth = 0;
  let quote = '';
  let start = 0;
  for (let i = 0; i < body.length; i++) {
    const c = body[i];
    if (quote !== '') {
      if (c === quote) quote = '';
    } else if (c === "'" || c === '"') quote = c;
    else if (c === '(') depth++;
    else if (c === ')') depth--;
    else if (c === ',' && depth === 0) {
      out.push(body.slice(start, i).trim());
      start = i + 1;
    }
  }
  out.push(body.slice(start).trim());
  return out.filter((s) => s !== '');
}
