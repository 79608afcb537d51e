export { ControlApi, num, readJson, type ControlApiOptions, type Params, type RouteHandler, type RouteModule } from './api.js';
export { openApiDocument } from './openapi.js';
export { functionView } from './views.js';
