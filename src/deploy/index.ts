export { Deployments, deployRequestSchema, type DeployRequest, type DeploymentListener, type DeployLimits } from './service.js';
export { sha256, canonicalJson, versionHash } from './hash.js';
