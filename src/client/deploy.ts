/**
 * The one deploy path: the CLI, `nimbus up --deploy`, tests and benchmarks all go through here,
 * so a manifest or bundle behaves the same however it reaches the server.
 */
import { bundleApp } from '../bundler/index.js';
import type { AppSpec } from '../domain/index.js';
import { loadManifest } from '../manifest/index.js';
import type { NimbusClient } from './client.js';
import type { DeployAppResult } from './types.js';
import type { CanaryRecord, CanaryRequest } from './alias-types.js';

export type DeployDirResult = DeployAppResult & { spec: AppSpec; canary?: CanaryRecord };

export interface DeployDirOptions {
  /** Deploy the stage copy `<app>-<stage>` (manifest/stage.ts). */
  stage?: string;
  /** Deploy as a canary: the new versions get a share of the traffic, then are promoted or rolled back. */
  canary?: CanaryRequest;
}

/** Validate `dir/nimbus.yaml`, bundle each function, and deploy the app through `client`. */
export async function deployDir(client: NimbusClient, dir: string, options: DeployDirOptions = {}): Promise<DeployDirResult> {
  const { spec, dir: appDir } = await loadManifest(dir, options);
  const bundles = await bundleApp(appDir, spec);
  const result = await client.deployApp(spec.app, spec, bundles, options.canary ? { canary: options.canary } : {});
  return { ...result, spec };
}
