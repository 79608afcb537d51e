export { Deployments, deployRequestSchema, type DeployRequest, type DeploymentListener } from './service.js';
export { sha256, canonicalJson, versionHash } from './hash.js';
