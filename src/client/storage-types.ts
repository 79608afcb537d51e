/** Wire shapes of the topic, bucket and secret endpoints (docs/control-api.md), inferred from the route table's schemas. */
import type { BucketView, PublishResult, SecretInfo, TopicView } from '../control/schemas.js';
import type { ObjectInfo, ObjectList } from '../storage/port.js';

export type { BucketView, ObjectInfo, ObjectList, PublishResult, SecretInfo, TopicView };
