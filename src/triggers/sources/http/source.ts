/**
 * HTTP routes and webhooks: the gateway serves both (a webhook is a signed POST on a route path),
 * so this source hands it the deployed set. The gateway's listener is not closed here: the
 * composition root stops it first, before anything it calls into.
 */
import type { FunctionVersion } from '../../../domain/index.js';
import { delegatingSource, type TriggerSource } from '../port.js';

export function httpSource(gateway: { setFunctions(fns: Iterable<FunctionVersion>): void }): TriggerSource {
  return delegatingSource('http', ['http', 'webhook'], { setFunctions: (fns) => gateway.setFunctions(fns) });
}
