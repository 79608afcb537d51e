export { ControlApi, type ControlApiOptions } from './api.js';
export { openApiDocument } from './openapi.js';
export { functionView } from './views.js';
