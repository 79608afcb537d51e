/**
 * Who may call a route, decided from its declaration before the handler runs:
 *   1. the app it acts on is found (route.app: path param, invocation record, bucket or topic owner);
 *   2. a key limited to apps gets the route's own "not found" for any other app — the same answer
 *      whether that app exists or not, so a key cannot probe for other apps' names;
 *   3. a key without the route's scope gets 403 FORBIDDEN naming the scope it lacks.
 */
import { NimbusError } from '../shared/errors.js';
import { invocationNotFound } from './routes-core.js';
import { allows, scopesOf, type ControlDeps, type Principal, type Route } from './table.js';

/** The app a call acts on, when its route names one and it can be found. */
export async function locateApp(route: Route, params: Record<string, string>, deps: ControlDeps): Promise<string | undefined> {
  switch (route.app) {
    case 'none':
      return undefined;
    case 'param':
      return params['app'];
    case 'bucket':
      return deps.resources.bucket(params['bucket'] ?? '')?.app;
    case 'topic':
      return deps.resources.topic(params['topic'] ?? '')?.app;
    case 'invocation': {
      const id = params['id'] ?? '';
      return (deps.telemetry.pendingInvocation(id) ?? (await deps.store.getInvocation(id)))?.app;
    }
  }
}

/** Throws the answer a key gets when it may not make this call. */
export function authorize(key: Principal, route: Route, params: Record<string, string>, app: string | undefined): void {
  if (key.apps.length > 0 && route.app !== 'none' && (app === undefined || !key.apps.includes(app))) throw hidden(route, params);
  if (!allows(key.scope, route)) {
    const needs = scopesOf(route).join(' or ');
    throw new NimbusError('FORBIDDEN', `this key (${key.name}) has scope ${key.scope}; ${route.method} ${route.path} needs scope ${needs}`, {
      details: { scope: key.scope, needs: scopesOf(route) },
    });
  }
}

/** The route's "does not exist" answer, worded as the handler words it for a missing resource. */
function hidden(route: Route, params: Record<string, string>): NimbusError {
  const { app = '', fn, bucket = '', topic = '', id = '' } = params;
  switch (route.app) {
    case 'invocation':
      return invocationNotFound(id);
    case 'bucket':
      return new NimbusError('BUCKET_NOT_FOUND', `no deployed app names bucket "${bucket}"; a bucket exists while a function names it in a trigger or binding (see \`nimbus buckets\`)`, {
        details: { bucket },
      });
    case 'topic':
      return new NimbusError('TOPIC_NOT_FOUND', `no deployed function subscribes to, binds or sends to topic "${topic}"; name it in a function's triggers or bindings first (see \`nimbus topics\`)`, {
        details: { topic },
      });
    default:
      return fn === undefined
        ? new NimbusError('APP_NOT_FOUND', `no app named "${app}" is deployed; see \`nimbus ls\``)
        : new NimbusError('FUNCTION_NOT_FOUND', `no function ${app}/${fn} is deployed; see \`nimbus ls\``);
  }
}
