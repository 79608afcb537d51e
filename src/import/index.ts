/**
 * Public surface of the import subsystem: serverless.yml and SAM templates → the nimbus.yaml
 * they mean, with a warning (key path + reason) for everything that does not map, and an error
 * (TEMPLATE_UNSUPPORTED) for what cannot work, before anything is deployed or written.
 */
export { importTemplate, findTemplate, loadApp, TEMPLATE_FILES } from './import.js';
export type { LoadedApp, ImportOptions } from './import.js';
export type { ImportResult } from './draft.js';
export { manifestYaml } from './write.js';
export { formatIssue } from './report.js';
export type { ImportIssue } from './report.js';
