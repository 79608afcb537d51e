/**
 * Topics: publish = one durable `queue` event per (message × subscribed function), all in one
 * enqueue call, so a publish is either wholly accepted or not at all. Each subscription then has
 * its own retries and dead letters, because each delivery is its own event.
 */
import type { EventQueue, NewEvent } from '../queue/port.js';
import { type Clock, systemClock } from '../shared/clock.js';
import { NimbusError } from '../shared/errors.js';
import { uuidv7 } from '../shared/ids.js';
import { eventFor } from './events.js';
import type { EventCause, PublishOptions, TopicPublisher } from './port.js';
import { wrapMessage } from '../queue/message.js';
import { parseAttributes } from './attributes.js';
import type { Resources } from './resources.js';

/** Most messages one publish call takes. */
export const MAX_BATCH_MESSAGES = 1000;

export interface TopicsOptions {
  queue: Pick<EventQueue, 'enqueue'>;
  resources: Pick<Resources, 'topic'>;
  clock?: Clock;
}

export class Topics implements TopicPublisher {
  private readonly clock: Clock;

  constructor(private readonly o: TopicsOptions) {
    this.clock = o.clock ?? systemClock;
  }

  async publish(topic: string, messages: unknown[], cause: EventCause = {}, options: PublishOptions = {}): Promise<{ messageIds: string[]; deliveries: number }> {
    const entry = this.o.resources.topic(topic);
    if (!entry)
      throw new NimbusError('TOPIC_NOT_FOUND', `no deployed function subscribes to, binds or sends to topic "${topic}"; name it in a function's triggers or bindings first (see \`nimbus topics\`)`, {
        details: { topic },
      });
    if (messages.length > MAX_BATCH_MESSAGES) throw new NimbusError('BAD_REQUEST', `a publish takes at most ${MAX_BATCH_MESSAGES} messages; got ${messages.length}: split the batch`);
    for (const m of messages) {
      if (m === undefined) throw new NimbusError('BAD_REQUEST', 'a message must be JSON (undefined is not)');
    }
    // Every caller checked them already; this is the one place that stores them, so it checks too.
    const attributes = options.attributes === undefined ? undefined : parseAttributes(options.attributes, 'publish');
    const now = this.clock.now();
    const messageIds = messages.map(() => uuidv7(now));
    const events: NewEvent[] = [];
    const seen = new Set<string>();
    for (const { fn } of entry.subscribers) {
      // Two triggers of one function on the same topic are still one subscription.
      if (seen.has(`${fn.app}/${fn.name}`)) continue;
      seen.add(`${fn.app}/${fn.name}`);
      for (const payload of messages)
        events.push(
          eventFor(
            fn,
            {
              source: 'topic',
              shape: 'queue',
              origin: topic,
              payload: wrapMessage(payload, attributes),
              hop: cause.hop ?? 0,
              ...(cause.traceparent !== undefined ? { traceparent: cause.traceparent } : {}),
            },
            now,
          ),
        );
    }
    if (events.length > 0) await this.o.queue.enqueue(events);
    return { messageIds, deliveries: events.length };
  }
}
