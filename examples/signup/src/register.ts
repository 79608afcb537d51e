// Web style with bindings: env.USERS is a KV namespace, env.REGISTERED a topic.
interface Env {
  USERS: { get(key: string, opts?: { type: 'json' }): Promise<unknown>; put(key: string, value: unknown): Promise<void> };
  REGISTERED: { publish(message: unknown): Promise<unknown> };
}

export default {
  async fetch(request: Request, env: Env): Promise<Response> {
    const url = new URL(request.url);
    if (request.method === 'GET') {
      const email = decodeURIComponent(url.pathname.split('/').pop() ?? '');
      const user = await env.USERS.get(email, { type: 'json' });
      return user ? Response.json(user) : Response.json({ error: 'no such user' }, { status: 404 });
    }
    const body = (await request.json().catch(() => null)) as { email?: string; name?: string } | null;
    if (!body?.email) return Response.json({ error: 'send {"email": "...", "name": "..."}' }, { status: 400 });
    const user = { email: body.email, name: body.name ?? body.email, registeredAt: new Date().toISOString() };
    await env.USERS.put(user.email, user);
    // Everything after this happens asynchronously, with retries: the caller does not wait.
    await env.REGISTERED.publish(user);
    return Response.json(user, { status: 201 });
  },
};
