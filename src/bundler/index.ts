/** Public surface of the bundler: handlers → self-contained ESM bundles, with esbuild. */
import type { AppSpec } from '../domain/types.js';
import { NimbusError } from '../shared/errors.js';
import { bundleFunction } from './bundle.js';
import type { Bundle } from './bundle.js';

export { bundleFunction, REQUIRE_BANNER } from './bundle.js';
export type { Bundle, BundleProblem } from './bundle.js';

/**
 * Bundle every function of an app in parallel. When several fail, one BUNDLE_FAILED lists them
 * all (`details.functions`, and `details.errors` with a `function` field each), so a deploy
 * reports every broken handler at once.
 */
export async function bundleApp(appDir: string, spec: AppSpec): Promise<Record<string, Bundle>> {
  const names = Object.keys(spec.functions);
  const settled = await Promise.allSettled(Object.entries(spec.functions).map(([name, config]) => bundleFunction(appDir, name, config)));
  const bundles: Record<string, Bundle> = {};
  const failures: { name: string; error: unknown }[] = [];
  settled.forEach((result, i) => {
    const name = names[i] ?? '';
    if (result.status === 'fulfilled') bundles[name] = result.value;
    else failures.push({ name, error: result.reason });
  });
  const [first] = failures;
  if (first === undefined) return bundles;
  if (failures.length === 1) throw first.error;
  throw combine(failures);
}

function combine(failures: { name: string; error: unknown }[]): NimbusError {
  const errors = failures.flatMap(({ name, error }) => {
    const listed = error instanceof NimbusError ? error.details?.['errors'] : undefined;
    const items: unknown[] = Array.isArray(listed) ? listed : [{ text: String(error) }];
    return items.map((item) => ({ function: name, ...(item as object) }));
  });
  const message = failures.map(({ error }) => (error instanceof Error ? error.message : String(error))).join('\n');
  return new NimbusError('BUNDLE_FAILED', message, {
    details: { function: failures.map((f) => f.name).join(', '), functions: failures.map((f) => f.name), errors },
  });
}
