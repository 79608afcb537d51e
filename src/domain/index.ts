export type * from './types.js';
export type * from './views.js';
