export { ControlApi, type ControlApiOptions } from './api.js';
export { num, readJson, type Params, type RouteHandler, type RouteModule } from './route-module.js';
export { openApiDocument } from './openapi.js';
export { functionView } from './views.js';
