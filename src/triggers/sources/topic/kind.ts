/** `topic: orders`: fan-out messages. The topic's name is owned by the app that names it. */
import type { TopicTrigger } from '../../../domain/index.js';
import type { TriggerKindSpec } from '../port.js';

export const topicKind: TriggerKindSpec<TopicTrigger> = {
  key: 'topic',
  options: ['batchSize', 'maxBatchWindow', 'shape'],
  owns: (t) => [{ kind: 'topic', name: t.topic }],
  staged: (t, rename) => ({ ...t, topic: rename('topics', t.topic) }),
  label: (t) => `topic:${t.topic}`,
};
