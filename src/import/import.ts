/**
 * Finding and importing a template, and `loadApp`: the one loader `nimbus deploy` uses, which
 * reads nimbus.yaml when there is one and otherwise imports serverless.yml or template.yaml and
 * loads its nimbus.yaml text through the manifest's own parser (so a template deploys exactly as
 * its `nimbus import` output would).
 */
import { readFile, stat } from 'node:fs/promises';
import { basename, join, resolve } from 'node:path';
import { loadManifest, loadManifestText, MANIFEST_FILES } from '../manifest/index.js';
import type { LoadedManifest } from '../manifest/index.js';
import { NimbusError } from '../shared/errors.js';
import type { ImportResult } from './draft.js';
import { isRecord } from './draft.js';
import { Report } from './report.js';
import type { ImportIssue } from './report.js';
import { fromSam } from './sam.js';
import { fromServerless } from './serverless.js';
import { manifestYaml } from './write.js';
import { readTemplateYaml } from './yaml-doc.js';

/** Looked for, in this order, when a directory has no nimbus.yaml. */
export const TEMPLATE_FILES = ['serverless.yml', 'serverless.yaml', 'template.yaml', 'template.yml'] as const;

export interface ImportOptions {
  /** What `${env:…}` reads; passed in by the CLI (nothing below the entry points reads process.env). */
  env?: Readonly<Record<string, string | undefined>>;
  /** `--stage`: what `${opt:stage}` and `${sls:stage}` resolve to. */
  stage?: string;
}

/** The first of {@link TEMPLATE_FILES} in `dir`, or undefined. */
export async function findTemplate(dir: string): Promise<string | undefined> {
  for (const name of TEMPLATE_FILES) if (await isFile(join(dir, name))) return name;
  return undefined;
}

/**
 * Map a serverless.yml or SAM template (`file`, inside its app directory) to a nimbus.yaml draft.
 * @throws NimbusError TEMPLATE_UNSUPPORTED listing what cannot work (non-Node runtime, missing handler file, …).
 */
export async function importTemplate(file: string, options: ImportOptions = {}): Promise<ImportResult> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    throw new NimbusError('TEMPLATE_UNSUPPORTED', `cannot read ${file}: ${(err as Error).message}`, { cause: err, details: { file, issues: [] } });
  }
  const doc = readTemplateYaml(text, file);
  const report = new Report(file, doc.position);
  const dir = resolve(file, '..');
  const kind = kindOf(file, doc.raw);
  const manifest =
    kind === 'serverless'
      ? await fromServerless(doc.raw, report, { dir, env: options.env ?? {}, ...(options.stage === undefined ? {} : { stage: options.stage }) })
      : await fromSam(doc.raw, report, { dir, stackName: await stackName(dir) });
  // In file order, as a reader goes through the template.
  const warnings = [...report.warnings].sort((a, b) => (a.line ?? 0) - (b.line ?? 0) || (a.column ?? 0) - (b.column ?? 0));
  return { kind, file, manifest, warnings };
}

export interface LoadedApp extends LoadedManifest {
  /** Set when the app came from serverless.yml or template.yaml. */
  template?: string;
  /** What the template had that does not map, as `file:line:col path: message` lines. */
  warnings: ImportIssue[];
}

/** nimbus.yaml when the directory has one, else its serverless.yml / template.yaml, imported. */
export async function loadApp(dir: string, options: ImportOptions = {}): Promise<LoadedApp> {
  const stageOnly = options.stage === undefined ? {} : { stage: options.stage };
  for (const name of MANIFEST_FILES) if (await isFile(join(dir, name))) return { ...(await loadManifest(dir, stageOnly)), warnings: [] };
  const template = await findTemplate(dir);
  if (template === undefined) return { ...(await loadManifest(dir, stageOnly)), warnings: [] };
  const result = await importTemplate(join(dir, template), options);
  // Problems found by the manifest parser point into the converted text, which `nimbus import` shows.
  const loaded = await loadManifestText(dir, `${template} (as nimbus.yaml: see \`nimbus import ${template}\`)`, manifestYaml(result), stageOnly);
  return { ...loaded, template: join(dir, template), warnings: result.warnings };
}

function kindOf(file: string, raw: unknown): 'serverless' | 'sam' {
  const name = basename(file);
  if (name.startsWith('serverless.')) return 'serverless';
  if (name.startsWith('template.')) return 'sam';
  return isRecord(raw) && ('Resources' in raw || 'AWSTemplateFormatVersion' in raw || 'Transform' in raw) ? 'sam' : 'serverless';
}

/** SAM names the stack at deploy time: samconfig.toml's stack_name, else the directory's name. */
async function stackName(dir: string): Promise<string> {
  const config = await readFile(join(dir, 'samconfig.toml'), 'utf8').catch(() => '');
  return /^\s*stack_name\s*=\s*"([^"]+)"/m.exec(config)?.[1] ?? basename(dir);
}

async function isFile(path: string): Promise<boolean> {
  return (await stat(path).catch(() => undefined))?.isFile() === true;
}
