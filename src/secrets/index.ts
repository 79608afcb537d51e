export type { SecretSource } from './source.js';
