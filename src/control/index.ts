export { ControlApi, type ControlApiOptions } from './api.js';
export { KeyService, ADMIN, type KeyServiceOptions, type NewKey } from './keys.js';
export { ROUTES } from './routes.js';
export { buildOpenApi, openApiDocument } from './openapi.js';
export { functionView } from './views.js';
export type { ControlDeps, Principal, Route } from './table.js';
