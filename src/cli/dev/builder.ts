/**
 * The incremental half of `nimbus dev`: keeps the last manifest and each function's bundle with
 * the files esbuild read for it, and on a set of changed files rebuilds only the functions that
 * read one of them. The deploy itself still goes through the node's one deploy path
 * (`PUT /v1/apps/{app}` → Deployments), where an unchanged bundle and config keep their version.
 *
 * Failures are kept per function: a function whose build failed is tried again on every change,
 * and until then the app is not deployed (the previous version keeps serving).
 */
import { resolve } from 'node:path';
import { bundleFunction, type Bundle } from '../../bundler/index.js';
import type { AppSpec, FunctionConfig } from '../../domain/index.js';
import { loadApp, TEMPLATE_FILES } from '../../import/index.js';
import { readTemplateEnv } from '../config.js';

export interface BuildResult {
  spec: AppSpec;
  bundles: Record<string, Bundle>;
  /** Functions bundled in this build (the others reused their last bundle). */
  rebuilt: string[];
  /** The manifest was (re)read in this build. */
  manifestRead: boolean;
}

interface Built {
  /** The handler file the bundle was made from: a manifest change of it means a rebuild. */
  entry: string;
  bundle: Bundle;
}

export class AppBuilder {
  private spec: AppSpec | undefined;
  private manifestFile: string | undefined;
  private readonly built = new Map<string, Built>();
  /** The last build did not finish: the next change retries everything that is not built. */
  private failed = true;

  constructor(readonly dir: string) {}

  /** Every file a successful build read (handlers, their imports, the manifest): what to watch. */
  files(): string[] {
    const out = new Set<string>();
    if (this.manifestFile !== undefined) out.add(this.manifestFile);
    for (const b of this.built.values()) for (const f of b.bundle.inputs) out.add(f);
    return [...out];
  }

  /** Whether `file` (absolute) is a manifest, or was read by a bundle, so that saving it matters. */
  concerns(file: string): boolean {
    if (isManifest(this.dir, file) || this.failed) return true;
    for (const b of this.built.values()) if (b.bundle.inputs.includes(file)) return true;
    return false;
  }

  /**
   * Build after `changed` (absolute paths; undefined: the first build). Returns undefined when the
   * change concerns no function (nothing to deploy).
   * @throws NimbusError MANIFEST_INVALID or BUNDLE_FAILED, as `nimbus deploy` does.
   */
  async build(changed?: ReadonlySet<string>): Promise<BuildResult | undefined> {
    const readManifest = this.spec === undefined || changed === undefined || [...changed].some((f) => isManifest(this.dir, f));
    this.failed = true;
    let spec = this.spec;
    if (readManifest || spec === undefined) {
      // A broken manifest is read again on the next change, whatever file it touches.
      this.spec = undefined;
      // nimbus.yaml, or a serverless.yml / SAM template as `nimbus deploy` reads them.
      const loaded = await loadApp(this.dir, { env: readTemplateEnv() });
      spec = loaded.spec;
      this.manifestFile = loaded.file;
    }
    const stale = Object.entries(spec.functions).filter(([name, config]) => this.isStale(name, config, changed));
    for (const name of this.built.keys()) if (!(name in spec.functions)) this.built.delete(name);
    const settled = await Promise.allSettled(stale.map(async ([name, config]) => ({ name, entry: config.handler.file, bundle: await bundleFunction(this.dir, name, config) })));
    for (const s of settled) if (s.status === 'fulfilled') this.built.set(s.value.name, { entry: s.value.entry, bundle: s.value.bundle });
    this.spec = spec;
    const failure = settled.find((s): s is PromiseRejectedResult => s.status === 'rejected');
    if (failure !== undefined) {
      // Forget the broken ones, so the next change rebuilds them whatever file it touches.
      stale.forEach(([name], i) => settled[i]?.status === 'rejected' && this.built.delete(name));
      throw failure.reason;
    }
    this.failed = false;
    if (!readManifest && stale.length === 0) return undefined;
    const bundles: Record<string, Bundle> = {};
    for (const name of Object.keys(spec.functions)) bundles[name] = this.built.get(name)!.bundle;
    return { spec, bundles, rebuilt: stale.map(([name]) => name), manifestRead: readManifest };
  }

  private isStale(name: string, config: FunctionConfig, changed: ReadonlySet<string> | undefined): boolean {
    const b = this.built.get(name);
    if (b === undefined || changed === undefined || b.entry !== config.handler.file) return true;
    return b.bundle.inputs.some((f) => changed.has(f));
  }
}

const MANIFEST_NAMES = ['nimbus.yaml', 'nimbus.yml'];

function isManifest(dir: string, file: string): boolean {
  return [...MANIFEST_NAMES, ...TEMPLATE_FILES].some((name) => file === resolve(dir, name));
}
