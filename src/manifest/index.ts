/** Public surface of the manifest subsystem: `nimbus.yaml` → validated AppSpec. */
export { parseManifest, BUILTIN_DEFAULTS } from './parse.js';
export { loadManifest, MANIFEST_FILES } from './load.js';
export type { LoadedManifest } from './load.js';
export { appSpecSchema, functionConfigSchema, manifestSchema, appNameSchema, functionNameSchema } from './schema.js';
export type { RawManifest, ParsedManifest, AppSpecInput } from './schema.js';
export { parseHttpRoute, routeKey, routesConflict, formatRoute, HTTP_METHODS, webhookPathProblem } from './routes.js';
export { parseRate, scheduleProblem, timezoneProblem } from './schedule.js';
export { BUCKET_EVENTS, DEFAULT_WEBHOOK_HEADER, triggerConfigSchema } from './triggers-schema.js';
export { BINDING_ACCESS } from './events-schema.js';
export { RESOURCE_NAME, BINDING_NAME, SECRET_NAME, secretNameSchema } from './names.js';
export type { HttpMethod } from './routes.js';
export { parseHandler, handlerCandidates, RESOLVE_EXTENSIONS } from './handler.js';
export { manifestJsonSchema, manifestJsonSchemaText } from './json-schema.js';
export type { ManifestIssue } from './issues.js';
export { parseDuration } from './route-policy-schema.js';
export { pathsOverlap, methodsOverlap, routesOverlap } from './overlap.js';
export { appRoutesSchema, fullPath, hostMatches, namespaceOf, requestHost, stageHost, STAGE_NAME, stageSchema } from './namespace.js';
export { DEFAULT_STAGE, stagedSpec, substituteStage } from './stage.js';
