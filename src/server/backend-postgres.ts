/**
 * The PostgreSQL backend: every adapter on one pool to a database N nodes share (issue 11).
 */
import { NimbusError } from '../shared/errors.js';
import type { Backend, BackendChoice, BackendContext } from './backend-types.js';

export async function openPostgresBackend(_choice: Extract<BackendChoice, { kind: 'postgres' }>, _ctx: BackendContext): Promise<Backend> {
  throw new NimbusError('BAD_REQUEST', 'the PostgreSQL backend is not built yet');
}
