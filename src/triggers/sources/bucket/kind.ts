/** `bucket: uploads`: object notifications (served with topics: ../topic/source.ts). The bucket's name is owned by the app that names it. */
import type { BucketTrigger } from '../../../domain/index.js';
import type { TriggerKindSpec } from '../port.js';

export const bucketKind: TriggerKindSpec<BucketTrigger> = {
  key: 'bucket',
  options: ['events', 'prefix', 'suffix'],
  owns: (t) => [{ kind: 'bucket', name: t.bucket }],
  staged: (t, rename) => ({ ...t, bucket: rename('buckets', t.bucket) }),
  label: (t) => `bucket:${t.bucket}${t.prefix || t.suffix ? `/${t.prefix}*${t.suffix ?? ''}` : ''} (${t.events.join(', ')})`,
};
