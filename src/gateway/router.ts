/**
 * The route table: a radix tree (find-my-way) built once per change of the deployed set and
 * swapped in whole, so a deploy switches every route of an app at the same instant and a lookup
 * costs the same with 1 or 1,000 routes.
 */
import FindMyWay from 'find-my-way';
import type { HTTPVersion, Handler } from 'find-my-way';
import type { FunctionVersion, HttpTrigger } from '../domain/index.js';
import { HTTP_METHODS, formatRoute } from '../manifest/index.js';

export interface RouteTarget {
  fn: FunctionVersion;
  /** The trigger, with its auth, cors and rateLimit. */
  trigger: HttpTrigger;
  /** `GET /hello/{name}` as declared. */
  route: string;
  /** Name of the `{proxy+}` parameter, if the route has one. */
  greedy: string | null;
}

export interface RouteMatch {
  target: RouteTarget;
  params: Record<string, string>;
}

const METHODS = HTTP_METHODS.filter((m) => m !== 'ANY');
const noop: Handler<HTTPVersion.V1> = () => {};

export class RouteTable {
  private readonly router = FindMyWay({ ignoreTrailingSlash: true, maxParamLength: 2048 });
  readonly size: number;

  constructor(functions: Iterable<FunctionVersion>) {
    let size = 0;
    for (const fn of functions) {
      for (const trigger of fn.config.triggers) {
        if (trigger.type !== 'http') continue;
        const { path, greedy } = toFindMyWay(trigger);
        const target: RouteTarget = { fn, trigger, route: formatRoute(trigger), greedy };
        const methods = trigger.method === 'ANY' ? METHODS : [trigger.method];
        this.router.on(methods as FindMyWay.HTTPMethod[], path, noop, target);
        size++;
      }
    }
    this.size = size;
  }

  /** The route for this request; HEAD is served by the GET route when there is no HEAD route (the body is dropped). */
  find(method: string, path: string): RouteMatch | undefined {
    const found = this.router.find(method as FindMyWay.HTTPMethod, path) ?? (method === 'HEAD' ? this.router.find('GET', path) : null);
    if (!found) return undefined;
    const target = found.store as RouteTarget;
    const params: Record<string, string> = {};
    for (const [k, v] of Object.entries(found.params)) {
      if (v === undefined) continue;
      params[k === '*' && target.greedy ? target.greedy : k] = v;
    }
    return { target, params };
  }
}

/** `/a/{id}/{rest+}` → `/a/:id/*`. */
function toFindMyWay(trigger: HttpTrigger): { path: string; greedy: string | null } {
  let greedy: string | null = null;
  const path = trigger.path.replace(/\{([^{}+]+)(\+?)\}/g, (_m, name: string, plus: string) => {
    if (plus) {
      greedy = name;
      return '*';
    }
    return `:${name}`;
  });
  return { path, greedy };
}
