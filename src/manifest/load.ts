/**
 * Reads an app directory's manifest and resolves every handler to a file that exists, so a
 * typo in `handler:` is reported with its line before anything is bundled or uploaded.
 */
import { readFile, stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { AppSpec, FunctionConfig } from '../domain/types.js';
import { NimbusError } from '../shared/errors.js';
import { handlerCandidates } from './handler.js';
import { manifestError } from './issues.js';
import type { ManifestIssue } from './issues.js';
import { parseManifestDocument } from './parse.js';
import { checkStageName, stagedSpec, substituteStage } from './stage.js';

export const MANIFEST_FILES = ['nimbus.yaml', 'nimbus.yml'] as const;

export interface LoadedManifest {
  /** The spec with each `handler.file` resolved: relative to `dir`, with its extension. */
  spec: AppSpec;
  /** Absolute path of the manifest file. */
  file: string;
  /** Absolute path of the app directory. */
  dir: string;
}

/**
 * Load `nimbus.yaml` (or `nimbus.yml`) from `dir` and check that every handler file exists.
 * @throws NimbusError MANIFEST_INVALID naming the file, line and key of each problem.
 */
export async function loadManifest(dir: string, options: { stage?: string } = {}): Promise<LoadedManifest> {
  const found = await findManifest(dir);
  return loadManifestText(dir, found.name, found.text, options);
}

/**
 * {@link loadManifest} of manifest text that is not (or not yet) a file of `dir`: the nimbus.yaml
 * an imported serverless.yml or SAM template becomes. `name` is how messages name it.
 */
export async function loadManifestText(dir: string, name: string, text: string, options: { stage?: string } = {}): Promise<LoadedManifest> {
  const found = { name, text };
  // Messages name the file as the user spelled the directory, so terminals can open it.
  const shown = join(dir, found.name);
  const { stage } = options;
  // A bad stage name is reported before `${stage}` puts it into names it would make invalid.
  if (stage !== undefined) checkStageName(stage, shown);
  const parsed = parseManifestDocument(substituteStage(found.text, stage), shown);

  const issues: ManifestIssue[] = [];
  const functions: Record<string, FunctionConfig> = {};
  for (const [name, config] of Object.entries(parsed.spec.functions)) {
    const candidates = handlerCandidates(config.handler);
    const file = await firstFile(dir, candidates);
    if (file === undefined) {
      const path = ['functions', name, 'handler'];
      const tried = candidates.map((c) => join(dir, c)).join(', ');
      issues.push({
        path: path.join('.'),
        ...parsed.locate(path),
        message: `the handler file of function "${name}" is missing (tried ${tried}): fix the path or create the file`,
      });
      continue;
    }
    functions[name] = { ...config, handler: { ...config.handler, file } };
  }
  if (issues.length > 0) throw manifestError(shown, issues);
  const spec: AppSpec = { ...parsed.spec, functions };
  return { spec: stage === undefined ? spec : stagedSpec(spec, stage, shown), file: resolve(dir, found.name), dir: resolve(dir) };
}

async function findManifest(dir: string): Promise<{ name: string; text: string }> {
  for (const name of MANIFEST_FILES) {
    try {
      return { name, text: await readFile(join(dir, name), 'utf8') };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw readError(join(dir, name), err);
    }
  }
  const file = join(dir, MANIFEST_FILES[0]);
  throw new NimbusError('MANIFEST_INVALID', `no nimbus.yaml (nor serverless.yml or SAM template.yaml) in ${dir}; run \`nimbus init\` to create one, or pass the app's directory`, {
    details: { file, issues: [{ path: '', message: `no nimbus.yaml (or nimbus.yml) in ${dir}` }] },
  });
}

function readError(file: string, err: unknown): NimbusError {
  const reason = (err as NodeJS.ErrnoException).code === 'EISDIR' ? 'is a directory' : (err as Error).message;
  return new NimbusError('MANIFEST_INVALID', `cannot read ${file}: ${reason}`, {
    cause: err,
    details: { file, issues: [{ path: '', message: `cannot read the file: ${reason}` }] },
  });
}

async function firstFile(dir: string, candidates: readonly string[]): Promise<string | undefined> {
  for (const candidate of candidates) {
    const info = await stat(join(dir, candidate)).catch(() => undefined);
    if (info?.isFile() === true) return candidate;
  }
  return undefined;
}
