/**
 * SAM `Events:` of one AWS::Serverless::Function (intrinsics already resolved) → nimbus.yaml
 * triggers. Event types without a Nimbus source are warnings with their key path.
 */
import { bucketEvents, checkedTriggers, httpMethod, httpPath, integer, isRecord, resourceName, text, warnUnmapped } from './draft.js';
import type { DraftTrigger } from './draft.js';
import type { KeyPath, Report } from './report.js';

export function samTriggers(events: unknown, report: Report, path: KeyPath): DraftTrigger[] {
  if (events === undefined) return [];
  if (!isRecord(events)) {
    report.warn(path, 'is not a mapping of events: ignored');
    return [];
  }
  return Object.entries(events).flatMap(([name, event]): DraftTrigger[] => {
    const at = [...path, name];
    if (!isRecord(event)) return [];
    const type = String(event['Type']);
    const props = isRecord(event['Properties']) ? event['Properties'] : {};
    const here = [...at, 'Properties'];
    return checkedTriggers(eventTriggers(type, props, report, here, at), report, here);
  });
}

function eventTriggers(type: string, props: Record<string, unknown>, report: Report, here: KeyPath, at: KeyPath): DraftTrigger[] {
  switch (type) {
    case 'Api':
      return api(props, report, here);
    case 'HttpApi':
      return httpApi(props, report, here);
    case 'Schedule':
    case 'ScheduleV2':
      return schedule(type, props, report, here);
    case 'S3':
      return s3(props, report, here);
    case 'SNS':
      return subscription(props, 'Topic', report, here, { shape: 'sns' });
    case 'SQS':
      return subscription(props, 'Queue', report, here, {});
    default:
      report.warn([...at, 'Type'], `${type} events are not mapped: Nimbus triggers are HTTP routes, schedules, topics, buckets and webhooks`);
      return [];
  }
}

const AUTH = 'authorizers are not mapped: add `auth:` to the route in nimbus.yaml';

/** REST API (v1): handlers get the 1.0 event (`path`, `httpMethod`, `multiValueHeaders`). */
function api(props: Record<string, unknown>, report: Report, path: KeyPath): DraftTrigger[] {
  warnUnmapped(props, ['Path', 'Method'], report, path, (k) =>
    k === 'Auth' ? AUTH : k === 'RestApiId' ? 'every route is served by the Nimbus gateway: RestApiId is not used' : `"${k}" is not mapped`,
  );
  return [{ http: `${httpMethod(props['Method'])} ${httpPath(text(props['Path'] ?? '/'))}`, payload: '1.0' }];
}

/** HTTP API: 2.0 unless PayloadFormatVersion says 1.0; without Path and Method it is the catch-all. */
function httpApi(props: Record<string, unknown>, report: Report, path: KeyPath): DraftTrigger[] {
  warnUnmapped(props, ['Path', 'Method', 'PayloadFormatVersion'], report, path, (k) =>
    k === 'Auth' ? AUTH : k === 'ApiId' ? 'every route is served by the Nimbus gateway: ApiId is not used' : `"${k}" is not mapped`,
  );
  const extra: DraftTrigger = text(props['PayloadFormatVersion'] ?? '2.0') === '1.0' ? { payload: '1.0' } : {};
  const method = httpMethod(props['Method']);
  if (props['Path'] === undefined)
    return [
      { http: `${method} /`, ...extra },
      { http: `${method} /{proxy+}`, ...extra },
    ];
  return [{ http: `${method} ${httpPath(text(props['Path']))}`, ...extra }];
}

function schedule(type: string, props: Record<string, unknown>, report: Report, path: KeyPath): DraftTrigger[] {
  const key = type === 'Schedule' ? 'Schedule' : 'ScheduleExpression';
  if (props['Enabled'] === false || props['State'] === 'DISABLED') {
    report.warn(path, 'the schedule is disabled: left out');
    return [];
  }
  const expression = props[key];
  if (typeof expression !== 'string') {
    report.warn([...path, key], 'is not a "rate(…)" or "cron(…)" expression: ignored');
    return [];
  }
  if (expression.startsWith('at(')) {
    report.warn([...path, key], 'one-time "at(…)" schedules are not mapped: invoke the function with `nimbus invoke --async` instead');
    return [];
  }
  const trigger: DraftTrigger = { schedule: expression };
  const zone = props['ScheduleExpressionTimezone'];
  if (typeof zone === 'string' && expression.startsWith('cron(')) trigger['timezone'] = zone;
  else if (zone !== undefined) report.warn([...path, 'ScheduleExpressionTimezone'], 'a time zone applies only to cron(…) schedules on Nimbus: left out');
  warnUnmapped(props, [key, 'Enabled', 'State', 'Name', 'Description', 'ScheduleExpressionTimezone'], report, path, (k) =>
    k === 'Input' ? 'Input is not mapped: the handler gets the scheduled event' : `"${k}" is not mapped`,
  );
  return [trigger];
}

function s3(props: Record<string, unknown>, report: Report, path: KeyPath): DraftTrigger[] {
  if (typeof props['Bucket'] !== 'string') {
    report.warn([...path, 'Bucket'], 'names no bucket of the template: ignored');
    return [];
  }
  const trigger: DraftTrigger = { bucket: resourceName(props['Bucket'], report, [...path, 'Bucket'], 'bucket') };
  const events = Array.isArray(props['Events']) ? props['Events'] : [props['Events'] ?? 's3:ObjectCreated:*'];
  const mapped = bucketEvents(events, report, [...path, 'Events']);
  if (mapped.length === 0) return [];
  trigger['events'] = mapped;
  const filter = isRecord(props['Filter']) && isRecord(props['Filter']['S3Key']) ? props['Filter']['S3Key']['Rules'] : undefined;
  (Array.isArray(filter) ? filter : []).forEach((rule, i) => {
    const name = isRecord(rule) ? String(rule['Name']).toLowerCase() : '';
    if ((name === 'prefix' || name === 'suffix') && isRecord(rule)) trigger[name] = String(rule['Value']);
    else report.warn([...path, 'Filter', 'S3Key', 'Rules', i], 'only prefix and suffix rules are mapped: ignored');
  });
  warnUnmapped(props, ['Bucket', 'Events', 'Filter'], report, path, (k) => `"${k}" is not mapped`);
  return [trigger];
}

/** SNS `Topic` or SQS `Queue` (an ARN or name) → a topic trigger. */
function subscription(props: Record<string, unknown>, key: 'Topic' | 'Queue', report: Report, path: KeyPath, extra: DraftTrigger): DraftTrigger[] {
  const ref = props[key];
  if (typeof ref !== 'string') {
    report.warn([...path, key], `names no ${key.toLowerCase()} Nimbus can resolve: ignored`);
    return [];
  }
  if (props['Enabled'] === false) {
    report.warn([...path, 'Enabled'], 'the subscription is disabled: left out');
    return [];
  }
  const trigger: DraftTrigger = { topic: resourceName(ref, report, [...path, key], key === 'Topic' ? 'topic' : 'queue'), ...extra };
  const batch = integer(props['BatchSize'], report, [...path, 'BatchSize']);
  if (batch !== undefined) trigger['batchSize'] = Math.min(Math.max(batch, 1), 100);
  if (batch !== undefined && batch > 100) report.warn([...path, 'BatchSize'], `${batch} is more than Nimbus's 100 messages per batch: 100 is used`);
  const window = integer(props['MaximumBatchingWindowInSeconds'], report, [...path, 'MaximumBatchingWindowInSeconds']);
  if (window !== undefined) trigger['maxBatchWindow'] = Math.min(window, 300);
  warnUnmapped(props, [key, 'Enabled', 'BatchSize', 'MaximumBatchingWindowInSeconds'], report, path, (k) =>
    k === 'FilterPolicy' ? 'SNS filter policies are not mapped: the function gets every message' : `"${k}" is not mapped`,
  );
  if (key === 'Queue') report.warn(path, `the SQS queue becomes the Nimbus topic "${String(trigger['topic'])}": publish to it with \`nimbus publish\` or a topic binding`);
  return [trigger];
}
