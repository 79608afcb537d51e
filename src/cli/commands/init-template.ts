/** The starter app `nimbus init` writes: one web-style and one Lambda-style function. */

export function manifestTemplate(app: string): string {
  return `# A Nimbus app. For editor autocompletion: nimbus schema > nimbus.schema.json
app: ${app}
# The app's routes live under /${app}: it can run beside other apps (and the examples of
# \`npm start\`) that use the same paths. The functions see the path without it.
routes:
  basePath: /${app}
functions:
  hello:
    # Web style: the default export's fetch(request) returns a Response.
    handler: src/hello.ts
    triggers:
      - http: GET /hello/{name}
  api:
    # Lambda style: the export \`handler\` of src/api.ts gets an event and returns a value.
    handler: src/api.handler
    memory: 128
    timeout: 10
    triggers:
      - http: POST /api/echo
`;
}

export const HELLO_TS = `/**
 * Web style: \`fetch\` gets a standard Request and returns a Response.
 * Through the gateway: curl http://127.0.0.1:8080/<app>/hello/world (the app's base path, then the route)
 * Directly: nimbus invoke hello --data '{"name": "you"}' (the event arrives as a JSON POST body)
 */
export default {
  async fetch(request: Request): Promise<Response> {
    const url = new URL(request.url);
    let name = decodeURIComponent(url.pathname.split('/')[2] ?? '');
    if (name === '' && request.method === 'POST') {
      const event = (await request.json().catch(() => ({}))) as { name?: unknown };
      if (typeof event.name === 'string') name = event.name;
    }
    name ||= 'world';
    console.log(\`greeting \${name}\`);
    return Response.json({ message: \`Hello, \${name}!\` });
  },
};
`;

export const API_TS = `/**
 * Lambda style: \`handler\` gets an event and returns a value (a \`{ statusCode, body }\` object
 * is an HTTP response, anything else is sent as JSON).
 * Through the gateway: curl -X POST http://127.0.0.1:8080/<app>/api/echo -d '{"a": 1}'
 * Directly: nimbus invoke api --data '{"a": 1}'
 */
interface HttpApiEvent {
  version: '2.0';
  body?: string;
  isBase64Encoded?: boolean;
}

function isHttpEvent(event: unknown): event is HttpApiEvent {
  return typeof event === 'object' && event !== null && (event as { version?: unknown }).version === '2.0';
}

// Through the gateway the event is an API Gateway HTTP API (v2.0) event; invoked directly it is your JSON.
function input(event: unknown): unknown {
  if (!isHttpEvent(event)) return event;
  const raw = event.isBase64Encoded ? Buffer.from(event.body ?? '', 'base64').toString() : event.body ?? '';
  try {
    return JSON.parse(raw);
  } catch {
    return raw;
  }
}

export async function handler(event: unknown): Promise<unknown> {
  const received = input(event);
  console.log('echoing', JSON.stringify(received));
  return { received, at: new Date().toISOString() };
}
`;

export const GITIGNORE = `# nimbus up keeps its database and the admin key here
.nimbus/
`;
