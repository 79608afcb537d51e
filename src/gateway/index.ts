export { Gateway, resolveLimits, type GatewayLimits, type GatewayOptions } from './gateway.js';
export { RouteTable, type RouteMatch, type RouteTarget } from './router.js';
export type { JwksOptions } from './jwt.js';
