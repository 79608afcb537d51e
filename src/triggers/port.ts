/** What other subsystems (control API, bindings, destinations) call to publish to a topic. */
export interface TopicPublisher {
  /**
   * Durably enqueue one event per message for every function subscribed to `topic` (fan-out;
   * each subscription has its own retries and dead letters). Resolves once durable.
   * Throws TOPIC_NOT_FOUND when no deployed function declares or binds the topic.
   */
  publish(topic: string, messages: unknown[]): Promise<{ messageIds: string[]; deliveries: number }>;
}
