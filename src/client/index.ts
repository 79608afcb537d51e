export { NimbusClient, errorFromAnswer } from './client.js';
export type { NimbusClientOptions } from './client.js';
export { deployDir } from './deploy.js';
export type { DeployDirResult } from './deploy.js';
export type * from './types.js';
export type * from './storage-types.js';
export type * from './keys-types.js';
export type * from './stats-types.js';
export type * from './alias-types.js';
