/** The `curl` line `nimbus up` and `nimbus deploy` print so a user can try a route at once. */
import type { HttpTrigger } from '../../domain/index.js';

/** A request that reaches the route: parameters filled with sample values. */
export function curlLine(gatewayUrl: string, t: HttpTrigger): string {
  const path = t.path.replace(/\{[^{}]*\+\}/g, 'test').replace(/\{[^{}]*\}/g, 'world');
  const url = `'${gatewayUrl}${path}'`;
  if (t.method === 'GET' || t.method === 'ANY') return `curl ${url}`;
  if (t.method === 'HEAD') return `curl -I ${url}`;
  return `curl -X ${t.method} ${url} -H 'content-type: application/json' -d '{}'`;
}
