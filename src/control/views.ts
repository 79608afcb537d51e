/** The JSON shapes the control API answers with (see docs/control-api.md). */
import type { FunctionRecord, FunctionVersion, FunctionView, VersionView } from '../domain/index.js';
import { formatRoute } from '../manifest/index.js';

export function functionView(f: FunctionRecord, instances: FunctionView['instances']): FunctionView {
  return {
    app: f.app,
    name: f.name,
    activeVersion: f.activeVersion,
    latestVersion: f.latestVersion,
    createdAt: f.createdAt,
    updatedAt: f.updatedAt,
    codeSize: f.active.codeSize,
    config: f.active.config,
    routes: f.active.config.triggers.filter((t) => t.type === 'http').map(formatRoute),
    instances,
  };
}

export function versionView(v: FunctionVersion, activeVersion: number): VersionView {
  return { version: v.version, hash: v.hash, codeSize: v.codeSize, createdAt: v.createdAt, active: v.version === activeVersion, config: v.config };
}
