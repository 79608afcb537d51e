import type { MessageAttributes } from '../queue/message.js';

/**
 * What caused an event, as the host knows it: `hop` is the number of invocations in the chain
 * behind it (the causing invocation's hop + 1; 0, the default, for anything from outside). See
 * MAX_HOPS in queue/port.ts.
 */
export interface EventCause {
  hop?: number;
  /** W3C trace context of the span that caused it: what it triggers continues that trace. */
  traceparent?: string;
}

/** What other subsystems (control API, bindings, destinations) call to publish to a topic. */
export interface PublishOptions {
  /** Attributes every message of the publish carries (checked with triggers/attributes.ts). */
  attributes?: MessageAttributes;
}

export interface TopicPublisher {
  /**
   * Durably enqueue one event per message for every function subscribed to `topic` (fan-out;
   * each subscription has its own retries and dead letters). Resolves once durable.
   * Throws TOPIC_NOT_FOUND when no deployed function declares or binds the topic.
   */
  publish(topic: string, messages: unknown[], cause?: EventCause, options?: PublishOptions): Promise<{ messageIds: string[]; deliveries: number }>;
}
