// Webhook deliveries arrive as queue messages whose body is { path, headers, body }.
interface Env {
  BUILDS: { put(key: string, value: unknown): Promise<void> };
}
interface Delivery {
  path: string;
  headers: Record<string, string>;
  body: string | null;
}

export default {
  async queue(batch: { messages: Array<{ id: string; body: Delivery }> }, env: Env): Promise<void> {
    for (const { id, body } of batch.messages) {
      const event = JSON.parse(body.body ?? '{}') as { action?: string; number?: number };
      // A real handler would start a build here.
      await env.BUILDS.put(`pr-${event.number ?? 'unknown'}`, { action: event.action, delivery: id, queuedAt: Date.now() });
      console.log(`pull request ${event.number} ${event.action}: build queued`);
    }
  },
};
