/**
 * serverless.yml `events:` of one function → nimbus.yaml triggers. Each event the Framework
 * knows but Nimbus does not (websocket, stream, alb, …) is a warning with its key path.
 */
import { bucketEvents, checkedTriggers, httpMethod, httpPath, integer, isRecord, resourceName, text, warnUnmapped } from './draft.js';
import type { DraftTrigger } from './draft.js';
import type { KeyPath, Report } from './report.js';

/** How a queue/topic/bucket referenced as `Fn::GetAtt`/`Ref` of `resources:` is named. */
export type ResourceNamer = (ref: unknown, path: KeyPath) => string | undefined;

export function serverlessTriggers(events: unknown, report: Report, path: KeyPath, named: ResourceNamer): DraftTrigger[] {
  if (events === undefined || events === null) return [];
  if (!Array.isArray(events)) {
    report.warn(path, 'is not a list of events: ignored');
    return [];
  }
  return events.flatMap((event, i): DraftTrigger[] => {
    const at = [...path, i];
    if (!isRecord(event) || Object.keys(event).length !== 1) {
      report.warn(at, 'an event is a mapping with one key (httpApi, http, schedule, sns, sqs, s3, eventBridge): ignored');
      return [];
    }
    const [kind = '', spec] = Object.entries(event)[0] ?? [];
    const here = [...at, kind];
    return checkedTriggers(eventTriggers(kind, spec, report, here, named), report, here);
  });
}

function eventTriggers(kind: string, spec: unknown, report: Report, here: KeyPath, named: ResourceNamer): DraftTrigger[] {
  switch (kind) {
    case 'httpApi':
      return httpApi(spec, report, here);
    case 'http':
      return restApi(spec, report, here);
    case 'schedule':
      return schedule(spec, report, here);
    case 'eventBridge':
      return eventBridge(spec, report, here);
    case 'sns':
      return sns(spec, report, here, named);
    case 'sqs':
      return sqs(spec, report, here, named);
    case 's3':
      return s3(spec, report, here, named);
    default:
      report.warn(here, `"${kind}" events are not mapped: Nimbus triggers are HTTP routes, schedules, topics, buckets and webhooks`);
      return [];
  }
}

/** `httpApi: '*'`, `httpApi: 'GET /x'` or `{ method, path }` (HTTP API, payload 2.0). */
function httpApi(spec: unknown, report: Report, path: KeyPath): DraftTrigger[] {
  if (typeof spec === 'string') {
    if (spec.trim() === '*') return catchAll({});
    const [method, route = '/'] = spec.trim().split(/\s+/);
    return [{ http: `${httpMethod(method)} ${httpPath(route)}` }];
  }
  if (!isRecord(spec)) {
    report.warn(path, 'is neither "METHOD /path", "*" nor { method, path }: ignored');
    return [];
  }
  warnUnmapped(spec, ['method', 'path'], report, path, (k) => (k === 'authorizer' ? 'authorizers are not mapped: add `auth:` to the route in nimbus.yaml' : `"${k}" is not mapped`));
  if (spec['path'] === '*' || spec['path'] === undefined) return catchAll({}, httpMethod(spec['method']));
  return [{ http: `${httpMethod(spec['method'])} ${httpPath(text(spec['path']))}` }];
}

/** `http: 'GET hello'` or `{ method, path, cors }`: REST API v1, so handlers get the 1.0 event. */
function restApi(spec: unknown, report: Report, path: KeyPath): DraftTrigger[] {
  const v1 = { payload: '1.0' };
  if (typeof spec === 'string') {
    const [method, route = '/'] = spec.trim().split(/\s+/);
    return [{ http: `${httpMethod(method)} ${httpPath(route)}`, ...v1 }];
  }
  if (!isRecord(spec)) {
    report.warn(path, 'is neither "METHOD path" nor { method, path }: ignored');
    return [];
  }
  const extra: DraftTrigger = { ...v1 };
  if (spec['cors'] === true) extra['cors'] = { origins: ['*'] };
  else if (spec['cors'] !== undefined) report.warn([...path, 'cors'], 'only `cors: true` is mapped (to origins ["*"]): write the policy as `cors:` in nimbus.yaml');
  warnUnmapped(spec, ['method', 'path', 'cors'], report, path, (k) =>
    k === 'authorizer'
      ? 'authorizers are not mapped: add `auth:` to the route in nimbus.yaml'
      : k === 'private'
        ? 'API Gateway API keys are not mapped: use `auth: key` in nimbus.yaml'
        : `"${k}" is not mapped`,
  );
  const route = spec['path'] === undefined ? '/' : httpPath(text(spec['path']));
  return [{ http: `${httpMethod(spec['method'])} ${route}`, ...extra }];
}

function catchAll(extra: DraftTrigger, method = 'ANY'): DraftTrigger[] {
  // API Gateway's catch-all also answers the root, which {proxy+} alone does not match.
  return [
    { http: `${method} /`, ...extra },
    { http: `${method} /{proxy+}`, ...extra },
  ];
}

/** `schedule: rate(…)|cron(…)` or `{ rate: string | string[], enabled, input }`. */
function schedule(spec: unknown, report: Report, path: KeyPath): DraftTrigger[] {
  if (typeof spec === 'string') return [{ schedule: spec }];
  if (!isRecord(spec)) {
    report.warn(path, 'is neither "rate(…)"/"cron(…)" nor { rate }: ignored');
    return [];
  }
  if (spec['enabled'] === false) {
    report.warn([...path, 'enabled'], 'the schedule is disabled: left out');
    return [];
  }
  warnUnmapped(spec, ['rate', 'enabled'], report, path, (k) =>
    ['input', 'inputPath', 'inputTransformer'].includes(k) ? `"${k}" is not mapped: the handler gets the scheduled event` : `"${k}" is not mapped`,
  );
  const rates = Array.isArray(spec['rate']) ? spec['rate'] : [spec['rate']];
  return rates.flatMap((rate, i) => {
    if (typeof rate === 'string') return [{ schedule: rate }];
    report.warn([...path, 'rate', ...(Array.isArray(spec['rate']) ? [i] : [])], 'is not a "rate(…)" or "cron(…)" string: ignored');
    return [];
  });
}

/** Only EventBridge schedules map; event patterns have no Nimbus source. */
function eventBridge(spec: unknown, report: Report, path: KeyPath): DraftTrigger[] {
  if (isRecord(spec) && typeof spec['schedule'] === 'string') {
    if (spec['enabled'] === false) {
      report.warn([...path, 'enabled'], 'the schedule is disabled: left out');
      return [];
    }
    warnUnmapped(spec, ['schedule', 'enabled'], report, path, (k) => `"${k}" is not mapped`);
    return [{ schedule: spec['schedule'] }];
  }
  report.warn(path, 'only EventBridge `schedule:` events are mapped; event patterns and buses have no Nimbus equivalent');
  return [];
}

/** `sns: orders`, an ARN, or `{ topicName | arn }` → a topic trigger delivering SNS-shaped records. */
function sns(spec: unknown, report: Report, path: KeyPath, named: ResourceNamer): DraftTrigger[] {
  let ref: unknown = spec;
  if (isRecord(spec)) {
    ref = spec['topicName'] ?? spec['arn'];
    warnUnmapped(spec, ['topicName', 'arn', 'displayName'], report, path, (k) =>
      k === 'filterPolicy' ? 'SNS filter policies are not mapped: the function gets every message' : `"${k}" is not mapped`,
    );
  }
  const name = typeof ref === 'string' ? ref : named(ref, path);
  if (name === undefined) {
    report.warn(path, 'names no topic Nimbus can resolve: ignored');
    return [];
  }
  return [{ topic: resourceName(name, report, path, 'topic'), shape: 'sns' }];
}

/** `sqs: <arn>` or `{ arn, batchSize, maximumBatchingWindow }` → a topic the function subscribes to. */
function sqs(spec: unknown, report: Report, path: KeyPath, named: ResourceNamer): DraftTrigger[] {
  const options = isRecord(spec) && !('Fn::GetAtt' in spec) && !('Ref' in spec) ? spec : { arn: spec };
  const ref = options['arn'] ?? options['queueName'];
  const name = typeof ref === 'string' ? ref : named(ref, path);
  if (name === undefined) {
    report.warn(path, 'names no queue Nimbus can resolve: ignored');
    return [];
  }
  const trigger: DraftTrigger = { topic: resourceName(name, report, path, 'queue') };
  const batch = integer(options['batchSize'], report, [...path, 'batchSize']);
  if (batch !== undefined) trigger['batchSize'] = Math.min(Math.max(batch, 1), 100);
  if (batch !== undefined && batch > 100) report.warn([...path, 'batchSize'], `${batch} is more than Nimbus's 100 messages per batch: 100 is used`);
  const window = integer(options['maximumBatchingWindow'], report, [...path, 'maximumBatchingWindow']);
  if (window !== undefined) trigger['maxBatchWindow'] = Math.min(window, 300);
  if (options['enabled'] === false) {
    report.warn([...path, 'enabled'], 'the subscription is disabled: left out');
    return [];
  }
  warnUnmapped(options, ['arn', 'queueName', 'batchSize', 'maximumBatchingWindow', 'enabled'], report, path, (k) =>
    k === 'functionResponseType' ? 'partial batch responses are not mapped: handlers of web style can ack()/retry() each message' : `"${k}" is not mapped`,
  );
  report.warn(path, `the SQS queue becomes the Nimbus topic "${String(trigger['topic'])}": publish to it with \`nimbus publish\` or a topic binding`);
  return [trigger];
}

/** `s3: photos` or `{ bucket, event, rules: [{ prefix }, { suffix }] }`. */
function s3(spec: unknown, report: Report, path: KeyPath, named: ResourceNamer): DraftTrigger[] {
  const options = isRecord(spec) && !('Ref' in spec) ? spec : { bucket: spec };
  const ref = options['bucket'];
  const name = typeof ref === 'string' ? ref : named(ref, [...path, 'bucket']);
  if (name === undefined) {
    report.warn(path, 'names no bucket Nimbus can resolve: ignored');
    return [];
  }
  const trigger: DraftTrigger = { bucket: resourceName(name, report, [...path, 'bucket'], 'bucket') };
  const events = bucketEvents([options['event'] ?? 's3:ObjectCreated:*'], report, [...path, 'event']);
  if (events.length === 0) return [];
  trigger['events'] = events;
  const rules = Array.isArray(options['rules']) ? options['rules'] : [];
  rules.forEach((rule, i) => {
    if (isRecord(rule) && typeof rule['prefix'] === 'string') trigger['prefix'] = rule['prefix'];
    else if (isRecord(rule) && typeof rule['suffix'] === 'string') trigger['suffix'] = rule['suffix'];
    else report.warn([...path, 'rules', i], 'only { prefix } and { suffix } rules are mapped: ignored');
  });
  warnUnmapped(options, ['bucket', 'event', 'rules', 'existing', 'forceDeploy'], report, path, (k) => `"${k}" is not mapped`);
  return [trigger];
}
