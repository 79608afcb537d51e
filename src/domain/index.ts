export type * from './types.js';
export type * from './views.js';
export { FUNCTION_DEFAULTS, WEBHOOK_DEFAULTS, withConfigDefaults } from './config.js';
