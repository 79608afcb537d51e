export { Deployments, deployRequestSchema, canaryRequestSchema, type DeployRequest, type DeploymentListener, type DeployLimits, type DeployRuntimeOptions } from './service.js';
export { sha256, canonicalJson, versionHash } from './hash.js';
export { ALIAS_NAME, aliasMissing, type AliasInput } from './aliases.js';
export type { CanaryView } from './canaries.js';
export { MIN_SAMPLE, formatDuration, parseDuration, parsePercent } from './canary.js';
export { pickWeighted, type Random } from './traffic.js';
