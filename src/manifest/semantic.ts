/**
 * Checks that span several fields, run on the normalized functions (defaults applied): by
 * the manifest parser, which maps the paths back to lines, and by `appSpecSchema` on the server.
 */
import type { FunctionConfig, HttpTrigger, WebhookTrigger } from '../domain/types.js';
import { formatRoute, routesConflict } from './routes.js';

export interface SemanticIssue {
  /**
   * Path in the normalized spec, e.g. `['functions', 'b', 'triggers', 0]` (a whole trigger) or
   * `['functions', 'b', 'triggers', 0, 'secret']` (one of its fields).
   */
  path: (string | number)[];
  message: string;
}

interface Claimed<T> {
  fn: string;
  index: number;
  trigger: T;
}

/**
 * Route and webhook conflicts inside the app, minInstances above concurrency, destinations
 * naming unknown functions, webhook secrets missing from env, bindings shadowing env variables.
 */
export function checkFunctions(
  functions: Record<string, FunctionConfig>,
  /** Every function of the app, also those left out of `functions` for errors of their own. */
  names: readonly string[] = Object.keys(functions),
): SemanticIssue[] {
  const issues: SemanticIssue[] = [];
  const routes: Claimed<HttpTrigger>[] = [];
  const webhooks: Claimed<WebhookTrigger>[] = [];
  for (const [fn, config] of Object.entries(functions)) {
    if (config.concurrency !== null && config.minInstances > config.concurrency) {
      issues.push({
        path: ['functions', fn, 'minInstances'],
        message: `minInstances (${config.minInstances}) is more than concurrency (${config.concurrency}): lower minInstances or raise concurrency`,
      });
    }
    config.triggers.forEach((trigger, index) => {
      if (trigger.type === 'http') {
        issues.push(...claimRoute(routes, { fn, index, trigger }));
        issues.push(...routePolicyIssues(trigger, ['functions', fn, 'triggers', index], names));
      }
      if (trigger.type === 'webhook') {
        issues.push(...claimWebhook(webhooks, { fn, index, trigger }));
        if (config.env[trigger.secret] === undefined) {
          // The gateway checks signatures with the plain env value; a `{ secret }` variable is decrypted only inside instances.
          const why =
            config.secrets?.[trigger.secret] !== undefined
              ? 'is an app secret ({ secret: … }), which webhook signing cannot read yet: give it a plain value'
              : 'is not an env variable of function "' + fn + '"';
          issues.push({
            path: ['functions', fn, 'triggers', index, 'secret'],
            message: `"${trigger.secret}" ${why}: add ${trigger.secret} to its env (or to defaults.env) holding the webhook's signing secret`,
          });
        }
      }
    });
    for (const key of ['onSuccess', 'onFailure'] as const) {
      const destination = config.destinations[key];
      if (destination === null || !('function' in destination) || names.includes(destination.function)) continue;
      issues.push({
        path: ['functions', fn, 'destinations', key, 'function'],
        message: `"${destination.function}" is not a function of this app: name one of ${names.join(', ')}, or use { topic: <name> }`,
      });
    }
    for (const name of Object.keys(config.bindings)) {
      if (config.env[name] === undefined && config.secrets?.[name] === undefined) continue;
      issues.push({
        path: ['functions', fn, 'bindings', name],
        // No function name: a binding in `defaults` is reported once, not once per function.
        message: `binding "${name}" has the name of an env variable (env or defaults.env): the function would see only one of them, so rename one`,
      });
    }
  }
  // Webhooks are POSTs: an HTTP route serving POST on the same literal path would take them.
  for (const hook of webhooks) {
    const route = routes.find((r) => r.trigger.path === hook.trigger.path && ['POST', 'ANY'].includes(r.trigger.method));
    if (route === undefined) continue;
    issues.push({
      path: ['functions', hook.fn, 'triggers', hook.index, 'path'],
      message: `webhook path "${hook.trigger.path}" is also the route "${formatRoute(route.trigger)}" of ${owner(route, hook.fn)} (functions.${route.fn}.triggers[${route.index}]): give the webhook its own path`,
    });
  }
  return issues;
}

/** An authorizer that is a function of this app; `by: jwt-sub` only behind JWT auth. */
function routePolicyIssues(trigger: HttpTrigger, at: (string | number)[], names: readonly string[]): SemanticIssue[] {
  const issues: SemanticIssue[] = [];
  const { auth, rateLimit } = trigger;
  if (auth?.type === 'function' && !names.includes(auth.function)) {
    issues.push({
      path: [...at, 'auth', 'function'],
      message: `authorizer "${auth.function}" is not a function of this app: name one of ${names.join(', ')}`,
    });
  }
  if (rateLimit?.by === 'jwt-sub' && auth?.type !== 'jwt') {
    issues.push({ path: [...at, 'rateLimit', 'by'], message: 'by: jwt-sub needs "auth: { jwt: … }" on the route (the sub of a verified token); use by: ip or by: key otherwise' });
  }
  return issues;
}

function owner(other: Claimed<unknown>, fn: string): string {
  return other.fn === fn ? 'another trigger of this function' : `function "${other.fn}"`;
}

function claimRoute(claimed: Claimed<HttpTrigger>[], next: Claimed<HttpTrigger>): SemanticIssue[] {
  const other = claimed.find((c) => routesConflict(c.trigger, next.trigger));
  if (other === undefined) {
    claimed.push(next);
    return [];
  }
  const { fn, index, trigger } = next;
  return [
    {
      path: ['functions', fn, 'triggers', index],
      message: `route "${formatRoute(trigger)}" of function "${fn}" overlaps "${formatRoute(other.trigger)}" of ${owner(other, fn)} (functions.${other.fn}.triggers[${other.index}]): give each route its own method or path`,
    },
  ];
}

function claimWebhook(claimed: Claimed<WebhookTrigger>[], next: Claimed<WebhookTrigger>): SemanticIssue[] {
  const other = claimed.find((c) => c.trigger.path === next.trigger.path);
  if (other === undefined) {
    claimed.push(next);
    return [];
  }
  const { fn, index, trigger } = next;
  return [
    {
      path: ['functions', fn, 'triggers', index, 'path'],
      message: `webhook path "${trigger.path}" is also the webhook of ${owner(other, fn)} (functions.${other.fn}.triggers[${other.index}]): give each webhook its own path`,
    },
  ];
}
