/**
 * Checks that span several fields, run on the normalized functions (defaults applied): by
 * the manifest parser, which maps the paths back to lines, and by `appSpecSchema` on the server.
 */
import type { FunctionConfig, HttpTrigger } from '../domain/types.js';
import { formatRoute, routesConflict } from './routes.js';

export interface SemanticIssue {
  /** Path in the normalized spec, e.g. `['functions', 'b', 'triggers', 0]`. */
  path: (string | number)[];
  message: string;
}

interface Claimed {
  fn: string;
  index: number;
  trigger: HttpTrigger;
}

/** Route conflicts inside the app and minInstances above concurrency. */
export function checkFunctions(functions: Record<string, FunctionConfig>): SemanticIssue[] {
  const issues: SemanticIssue[] = [];
  const claimed: Claimed[] = [];
  for (const [fn, config] of Object.entries(functions)) {
    if (config.concurrency !== null && config.minInstances > config.concurrency) {
      issues.push({
        path: ['functions', fn, 'minInstances'],
        message: `minInstances (${config.minInstances}) is more than concurrency (${config.concurrency}): lower minInstances or raise concurrency`,
      });
    }
    config.triggers.forEach((trigger, index) => {
      const other = claimed.find((c) => routesConflict(c.trigger, trigger));
      if (other === undefined) {
        claimed.push({ fn, index, trigger });
        return;
      }
      const owner = other.fn === fn ? 'another trigger of this function' : `function "${other.fn}"`;
      issues.push({
        path: ['functions', fn, 'triggers', index],
        message: `route "${formatRoute(trigger)}" of function "${fn}" overlaps "${formatRoute(other.trigger)}" of ${owner} (functions.${other.fn}.triggers[${other.index}]): give each route its own method or path`,
      });
    });
  }
  return issues;
}
