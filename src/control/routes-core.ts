/** The core endpoints of the route table: apps, functions, versions, rollback, invoke, records, logs. */
import { z } from 'zod';
import { deployRequestSchema } from '../deploy/index.js';
import { NimbusError } from '../shared/errors.js';
import { withReportLines } from '../telemetry/index.js';
import { invoke } from './invoke.js';
import * as s from './schemas.js';
import { raw, route, type ControlDeps } from './table.js';
import { functionView, versionView } from './views.js';

/** Deploy bodies carry every bundle of an app. */
const MAX_DEPLOY_BYTES = 128 * 1024 * 1024;

const view = async (d: ControlDeps, app: string, name: string) => functionView(await d.deployments.mustGet(app, name), d.runtime.stats(app, name));

export const coreRoutes = [
  route({
    method: 'PUT',
    path: '/v1/apps/{app}',
    summary: "deploy an app: the spec becomes the app's whole set of functions",
    description:
      'Functions whose code and config are unchanged keep their version; functions missing from the spec are deleted. ' +
      'With `canary`, changed functions get their new version without activating it: it takes `weight` % of their traffic for `durationMs`, ' +
      'then is promoted, or rolled back once its error rate exceeds the old one by more than `maxErrorRate` points (GET /v1/apps/{app}/canary).',
    scope: 'deploy',
    app: 'param',
    body: deployRequestSchema.meta({ id: 'DeployRequest' }),
    bodyLimit: MAX_DEPLOY_BYTES,
    bodyCheckedByHandler: true,
    response: s.deployResultSchema,
    errors: ['MANIFEST_INVALID', 'ROUTE_CONFLICT', 'RESOURCE_CONFLICT', 'SECRET_NOT_FOUND', 'CANARY_IN_PROGRESS'],
    audit: 'app.deploy',
    handle: async ({ deps, params, body }) => deps.deployments.deploy(params['app']!, body),
  }),
  route({
    method: 'GET',
    path: '/v1/apps',
    summary: 'list apps (those of an app-limited key only)',
    scope: 'read',
    app: 'none',
    response: z.object({ apps: z.array(s.appSummarySchema) }),
    errors: [],
    handle: async ({ deps, visible }) => ({ apps: (await deps.store.listApps()).filter((a) => visible(a.app)) }),
  }),
  route({
    method: 'DELETE',
    path: '/v1/apps/{app}',
    summary: 'delete an app and all its functions',
    scope: 'deploy',
    app: 'param',
    response: s.deletedSchema,
    errors: ['APP_NOT_FOUND'],
    audit: 'app.delete',
    handle: async ({ deps, params }) => {
      await deps.deployments.deleteApp(params['app']!);
      return { deleted: true as const };
    },
  }),
  route({
    method: 'GET',
    path: '/v1/functions',
    summary: 'list the functions of every app (of its apps for an app-limited key)',
    scope: 'read',
    app: 'none',
    response: z.object({ functions: z.array(s.functionViewSchema) }),
    errors: [],
    handle: async ({ deps, visible }) => {
      const fns = (await deps.store.listFunctions()).filter((f) => visible(f.app));
      return { functions: fns.map((f) => functionView(f, deps.runtime.stats(f.app, f.name))) };
    },
  }),
  route({
    method: 'GET',
    path: '/v1/apps/{app}/functions',
    summary: "list an app's functions",
    scope: 'read',
    app: 'param',
    response: z.object({ functions: z.array(s.functionViewSchema) }),
    errors: [],
    handle: async ({ deps, params }) => {
      const fns = await deps.store.listFunctions(params['app']);
      return { functions: fns.map((f) => functionView(f, deps.runtime.stats(f.app, f.name))) };
    },
  }),
  route({
    method: 'GET',
    path: '/v1/apps/{app}/functions/{fn}',
    summary: 'describe a function',
    scope: 'read',
    app: 'param',
    response: s.functionViewSchema,
    errors: ['FUNCTION_NOT_FOUND'],
    handle: async ({ deps, params }) => view(deps, params['app']!, params['fn']!),
  }),
  route({
    method: 'DELETE',
    path: '/v1/apps/{app}/functions/{fn}',
    summary: 'delete a function and its versions',
    scope: 'deploy',
    app: 'param',
    response: s.deletedSchema,
    errors: ['FUNCTION_NOT_FOUND'],
    audit: 'function.delete',
    handle: async ({ deps, params }) => {
      await deps.deployments.deleteFunction(params['app']!, params['fn']!);
      return { deleted: true as const };
    },
  }),
  route({
    method: 'GET',
    path: '/v1/apps/{app}/functions/{fn}/versions',
    summary: "list a function's versions, oldest first",
    scope: 'read',
    app: 'param',
    response: z.object({ versions: z.array(s.versionSchema) }),
    errors: ['FUNCTION_NOT_FOUND'],
    handle: async ({ deps, params }) => {
      const fn = await deps.deployments.mustGet(params['app']!, params['fn']!);
      const versions = await deps.store.listVersions(fn.app, fn.name);
      return { versions: versions.map((v) => versionView(v, fn.activeVersion)) };
    },
  }),
  route({
    method: 'POST',
    path: '/v1/apps/{app}/functions/{fn}/rollback',
    summary: 'activate an earlier version (default: the one before the active version)',
    scope: 'deploy',
    app: 'param',
    body: z.object({ to: z.number().int().min(1).optional().describe('a version number') }),
    response: s.functionViewSchema.describe('the function, now serving that version'),
    errors: ['FUNCTION_NOT_FOUND', 'VERSION_NOT_FOUND', 'CANARY_IN_PROGRESS'],
    audit: 'function.rollback',
    handle: async ({ deps, params, body }) => {
      await deps.deployments.rollback(params['app']!, params['fn']!, body.to);
      return view(deps, params['app']!, params['fn']!);
    },
  }),
  route({
    method: 'POST',
    path: '/v1/apps/{app}/functions/{fn}/invoke',
    summary: 'run the active version with the body as the event: synchronously, or queued with X-Nimbus-Invocation-Type: Event',
    description:
      'Lambda style: 200 and the return value as JSON. ' +
      'Web style: fetch gets POST http://invoke.nimbus/ with the event as JSON body; ' +
      'the answer carries its status, headers and body. Failures carry `invocationId` inside `error`. ' +
      'Async (`X-Nimbus-Invocation-Type: Event`): 202 `{invocationId, duplicate}` once the event is durable; delivered at least once ' +
      "with the function's retries, maxEventAge and destinations; body up to 1 MB.",
    scope: 'invoke',
    app: 'param',
    headers: [
      { name: 'X-Nimbus-Invocation-Type', description: 'Event = async (default RequestResponse)', schema: { enum: ['RequestResponse', 'Event'] } },
      { name: 'Idempotency-Key', description: 'async only: the same key within 24 h returns the first invocation id', schema: { type: 'string', maxLength: 256 } },
    ],
    body: raw('application/json', 'the event: any JSON'),
    response: raw('*/*', "the function's answer (sync), or 202 {invocationId, duplicate} (async)", { 'X-Nimbus-Invocation-Id': { schema: { type: 'string' } } }),
    errors: [
      'FUNCTION_NOT_FOUND',
      'PAYLOAD_TOO_LARGE',
      'THROTTLED',
      'FUNCTION_ERROR',
      'FUNCTION_INIT_ERROR',
      'FUNCTION_OOM',
      'FUNCTION_CRASHED',
      'RESPONSE_TOO_LARGE',
      'INVALID_RESPONSE',
      'SHUTTING_DOWN',
      'FUNCTION_TIMEOUT',
    ],
    handle: async ({ deps, req, res, params }) => invoke(deps, req, res, params['app']!, params['fn']!),
  }),
  route({
    method: 'GET',
    path: '/v1/apps/{app}/functions/{fn}/invocations',
    summary: 'invocation records, newest first',
    scope: 'read',
    app: 'param',
    query: z.object({ limit: s.limitParam('at most this many (default 50, max 1000)'), before: s.numParam('only records started before this epoch ms (paging)') }),
    response: z.object({ invocations: z.array(s.invocationRecordSchema) }),
    errors: ['FUNCTION_NOT_FOUND'],
    handle: async ({ deps, params, query }) => {
      const fn = await deps.deployments.mustGet(params['app']!, params['fn']!);
      await deps.telemetry.flush();
      return { invocations: await deps.store.listInvocations({ app: fn.app, function: fn.name, limit: query.limit, before: query.before }) };
    },
  }),
  route({
    method: 'GET',
    path: '/v1/invocations/{id}',
    summary: 'one invocation record (invoke keys may read the records of their apps too)',
    scope: ['read', 'invoke'],
    app: 'invocation',
    response: s.invocationRecordSchema,
    errors: ['INVOCATION_NOT_FOUND'],
    handle: async ({ deps, params }) => {
      const id = params['id']!;
      const record = deps.telemetry.pendingInvocation(id) ?? (await deps.store.getInvocation(id));
      if (!record) throw invocationNotFound(id);
      return record;
    },
  }),
  route({
    method: 'GET',
    path: '/v1/apps/{app}/functions/{fn}/logs',
    summary: 'one page of log lines, oldest first: at most 1000 lines or ~1 MB of text (lines over 64 K characters are cut, with a note)',
    scope: 'read',
    app: 'param',
    query: z.object({
      invocation: z.string().optional().describe('only the lines of this invocation'),
      after: s.numParam('only lines with a greater seq (pass the previous answer’s next)'),
      limit: s.limitParam('at most this many (default and max 1000; a larger value is clamped)'),
    }),
    response: s.logsPageSchema,
    errors: ['FUNCTION_NOT_FOUND'],
    handle: async ({ deps, params, query }) => {
      const app = params['app']!;
      const name = params['fn']!;
      await deps.telemetry.flush();
      const { invocation: invocationId, after } = query;
      // One bounded page (≤ 1,000 lines, ~1 MB; a larger limit is clamped): indexed and cheap, so
      // it runs on this thread without stalling the gateway. `more`: ask again with after=next.
      const { lines, more } = await deps.store.queryLogs({ app, function: name, invocationId, afterSeq: after, limit: query.limit });
      const next = lines.at(-1)?.seq ?? after ?? 0;
      if (lines.length === 0 && !deps.deployments.current(app, name)) throw new NimbusError('FUNCTION_NOT_FOUND', `no function ${app}/${name} is deployed and none left logs; see \`nimbus ls\``);
      const out = lines.map((l) => ({ seq: l.seq, invocationId: l.invocationId, ts: l.ts, stream: l.stream, line: l.line, version: l.version }));
      // A silent successful invocation has no stored REPORT line (see TelemetryWriter.record):
      // its log still ends with one, derived from the record.
      if (invocationId !== undefined && after === undefined && !more && !lines.some((l) => l.stream === 'system' && l.line.startsWith('REPORT '))) {
        const record = await deps.store.getInvocation(invocationId);
        if (record && record.app === app && record.function === name) {
          const [report] = withReportLines([record], []);
          if (report) out.push({ seq: next, invocationId, ts: report.ts, stream: report.stream, line: report.line, version: report.version });
        }
      }
      return { lines: out, next, more };
    },
  }),
];

export function invocationNotFound(id: string): NimbusError {
  return new NimbusError('INVOCATION_NOT_FOUND', `no invocation ${id} (records are kept 7 days)`);
}
