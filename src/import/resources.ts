/**
 * CloudFormation resources a template declares that Nimbus has an equivalent for: S3 buckets,
 * SNS topics and SQS queues are named (their BucketName/TopicName/QueueName, else the logical id
 * in lower case), so an event referring to them with `Ref`/`Fn::GetAtt` finds the bucket or topic.
 */
import { isRecord } from './draft.js';
import type { KeyPath, Report } from './report.js';

/** The property holding the physical name, by resource type; also the Nimbus kind. */
export const NAMED_TYPES: Record<string, { property: string; service: string }> = {
  'AWS::S3::Bucket': { property: 'BucketName', service: 's3' },
  'AWS::SNS::Topic': { property: 'TopicName', service: 'sns' },
  'AWS::SQS::Queue': { property: 'QueueName', service: 'sqs' },
};

/** The name Nimbus gives a bucket/topic/queue resource, or undefined for other types. */
export function physicalName(id: string, resource: unknown, resolve: (value: unknown) => unknown = (v) => v): string | undefined {
  if (!isRecord(resource) || typeof resource['Type'] !== 'string') return undefined;
  const named = NAMED_TYPES[resource['Type']];
  if (named === undefined) return undefined;
  const props = isRecord(resource['Properties']) ? resource['Properties'] : {};
  const given = resolve(props[named.property]);
  return typeof given === 'string' && given !== '' ? given : id.toLowerCase();
}

/** An ARN-like string for `Fn::GetAtt X.Arn`, which event mappings turn back into the name. */
export function arnOf(id: string, resource: unknown, resolve?: (value: unknown) => unknown): string | undefined {
  const name = physicalName(id, resource, resolve);
  if (name === undefined || !isRecord(resource)) return undefined;
  const service = NAMED_TYPES[String(resource['Type'])]?.service ?? '';
  return service === 's3' ? `arn:aws:s3:::${name}` : `arn:aws:${service}:local:000000000000:${name}`;
}

/**
 * For serverless.yml: resolves `{ Ref: Id }` and `{ 'Fn::GetAtt': [Id, Arn] }` in events against
 * `resources.Resources`; anything else is reported and yields undefined.
 */
export function cloudFormationNamer(resources: unknown, report: Report): (ref: unknown, path: KeyPath) => string | undefined {
  const all = isRecord(resources) ? resources : {};
  return (ref, path) => {
    let id: unknown;
    if (isRecord(ref) && typeof ref['Ref'] === 'string') id = ref['Ref'];
    else if (isRecord(ref) && Array.isArray(ref['Fn::GetAtt'])) id = ref['Fn::GetAtt'][0];
    const name = typeof id === 'string' ? physicalName(id, all[id]) : undefined;
    if (name === undefined) report.warn(path, `${JSON.stringify(ref)} does not name a bucket, topic or queue of resources.Resources`);
    return name;
  };
}
