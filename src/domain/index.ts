export type * from './types.js';
export type * from './views.js';
export { DEFAULT_EPHEMERAL_MB, FUNCTION_DEFAULTS, sandboxShape, sandboxSize, WEBHOOK_DEFAULTS, withConfigDefaults } from './config.js';
export type * from './keys.js';
export { SCOPES } from './keys.js';
export type { PriceSheet } from './prices.js';
export { costOf, DEFAULT_PRICES, gbSecondsOf } from './prices.js';
export type * from './stats.js';
export { DEFAULT_REGION, isRegion } from './region.js';
