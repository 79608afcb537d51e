/**
 * The one deploy path: the CLI, `nimbus up --deploy`, tests and benchmarks all go through here,
 * so a manifest or bundle behaves the same however it reaches the server.
 */
import { bundleApp } from '../bundler/index.js';
import type { AppSpec } from '../domain/index.js';
import { loadApp } from '../import/index.js';
import type { ImportIssue } from '../import/index.js';
import type { NimbusClient } from './client.js';
import type { DeployAppResult } from './types.js';
import type { CanaryRecord, CanaryRequest } from './alias-types.js';

export type DeployDirResult = DeployAppResult & {
  spec: AppSpec;
  canary?: CanaryRecord;
  /** Set when the app came from a serverless.yml or SAM template: its path. */
  template?: string;
  /** What that template had that does not map (empty or absent for nimbus.yaml). */
  warnings?: ImportIssue[];
};

export interface DeployDirOptions {
  /** Deploy the stage copy `<app>-<stage>` (manifest/stage.ts). */
  stage?: string;
  /** Deploy as a canary: the new versions get a share of the traffic, then are promoted or rolled back. */
  canary?: CanaryRequest;
  /** What `${env:…}` of a serverless.yml reads (the CLI passes its environment). */
  env?: Readonly<Record<string, string | undefined>>;
}

/**
 * Validate `dir/nimbus.yaml` (or, without one, its serverless.yml / SAM template.yaml), bundle
 * each function, and deploy the app through `client`.
 */
export async function deployDir(client: NimbusClient, dir: string, options: DeployDirOptions = {}): Promise<DeployDirResult> {
  const { spec, dir: appDir, template, warnings } = await loadApp(dir, options);
  const bundles = await bundleApp(appDir, spec);
  const result = await client.deployApp(spec.app, spec, bundles, options.canary ? { canary: options.canary } : {});
  return { ...result, spec, ...(template === undefined ? {} : { template }), warnings };
}
