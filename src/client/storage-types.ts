/** Wire shapes of the topic and bucket endpoints (docs/control-api.md) as the client sees them. */
import type { ObjectInfo, ObjectList } from '../storage/port.js';

export type { ObjectInfo, ObjectList };

export interface PublishResult {
  /** One per message, in order. */
  messageIds: string[];
  /** Events queued: messages × subscribed functions. */
  deliveries: number;
}

export interface TopicView {
  topic: string;
  /** The app that names it. */
  app: string;
  subscribers: Array<{ app: string; function: string; batchSize: number; maxBatchWindow: number }>;
}

export interface BucketView {
  bucket: string;
  app: string;
  objects: number;
  bytes: number;
  subscribers: Array<{ app: string; function: string; events: Array<'created' | 'deleted'>; prefix: string }>;
}

/** A secret as listed: never its value. */
export interface SecretInfo {
  name: string;
  /** Epoch ms of the last set. */
  updatedAt: number;
}
