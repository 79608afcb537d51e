// Web style queue consumer: each topic message arrives in a batch with ack()/retry().
interface Env {
  OUTBOX: { put(key: string, body: string, opts?: { contentType?: string }): Promise<unknown> };
}
interface User {
  email: string;
  name: string;
}
interface Batch {
  messages: Array<{ id: string; body: User; ack(): void; retry(): void }>;
}

export default {
  async queue(batch: Batch, env: Env): Promise<void> {
    for (const message of batch.messages) {
      const user = message.body;
      const email = `To: ${user.email}\nSubject: Welcome, ${user.name}!\n\nThanks for signing up.\n`;
      await env.OUTBOX.put(`welcome/${user.email}.txt`, email, { contentType: 'text/plain' });
      console.log(`welcome email for ${user.email} written to outbox`);
      message.ack();
    }
  },
};
