/**
 * Topics and buckets: both deliver through `Resources` (../../resources.ts), which knows each
 * topic's and bucket's owner and subscribers; publishing (`Topics`) and object writes
 * (`FsObjectStore`'s outbox) read it. Nothing to start or close: events are enqueued by callers.
 */
import type { Resources } from '../../resources.js';
import { delegatingSource, type TriggerSource } from '../port.js';

export function resourcesSource(resources: Pick<Resources, 'setFunctions'>): TriggerSource {
  return delegatingSource('topics and buckets', ['topic', 'bucket'], resources);
}
