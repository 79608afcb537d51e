// Web style: the default export's fetch gets a standard Request and returns a Response.
// `env` holds the function's environment variables from nimbus.yaml.
interface Env {
  GREETING?: string;
}

export default {
  async fetch(request: Request, env: Env): Promise<Response> {
    // The route is GET /hello/{name}: the name is the last path segment.
    const segment = new URL(request.url).pathname.split('/').pop() ?? '';
    const name = decodeURIComponent(segment) || 'world';
    const greeting = env.GREETING ?? 'Hello';
    return new Response(`${greeting}, ${name}!\n`, {
      headers: { 'content-type': 'text/plain; charset=utf-8' },
    });
  },
};
