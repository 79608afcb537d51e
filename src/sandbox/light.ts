/**
 * Lightweight Request/Response for the web-style path. Building Node 20's undici Request and
 * Response objects costs more than the rest of an invocation together (see shared/MEASUREMENTS.md),
 * so, as @hono/node-server does, the function gets objects that answer the common questions
 * (method, url, headers, text(), json(); status, headers, body text) from plain data and build the
 * real undici object only when something else is touched. Both pass `instanceof Request/Response`.
 */
const NativeRequest = globalThis.Request;
const NativeResponse = globalThis.Response;
const nativeFetch = globalThis.fetch;

const state = Symbol('nimbus.light');
/** Set on a Response built from a ReadableStream: the gateway streams it (streaming.ts) instead of buffering. */
const streamed = Symbol('nimbus.streamed');

interface RequestData {
  method: string;
  url: string;
  headers: Record<string, string>;
  body: string | Buffer | null;
}

/** A Request built from wire data; becomes an undici Request on first unusual use. */
export class LightRequest {
  [state]: RequestData;
  #real: Request | undefined;
  #headers: Headers | undefined;

  constructor(data: RequestData) {
    this[state] = data;
  }

  get real(): Request {
    if (!this.#real) {
      const d = this[state];
      const init: RequestInit = { method: d.method, headers: d.headers };
      if (d.body !== null && d.method !== 'GET' && d.method !== 'HEAD') init.body = d.body;
      this.#real = new NativeRequest(d.url, init);
    }
    return this.#real;
  }

  get method(): string {
    return this[state].method;
  }
  get url(): string {
    return this[state].url;
  }
  get headers(): Headers {
    if (this.#real) return this.#real.headers;
    return (this.#headers ??= new Headers(this[state].headers));
  }
  text(): Promise<string> {
    if (this.#real) return this.#real.text();
    const b = this[state].body;
    return Promise.resolve(b === null ? '' : typeof b === 'string' ? b : b.toString('utf8'));
  }
  async json(): Promise<unknown> {
    return JSON.parse(await this.text()) as unknown;
  }
}

for (const key of Object.getOwnPropertyNames(NativeRequest.prototype)) {
  if (key === 'constructor' || Object.hasOwn(LightRequest.prototype, key)) continue;
  const desc = Object.getOwnPropertyDescriptor(NativeRequest.prototype, key)!;
  if (typeof desc.value === 'function') {
    Object.defineProperty(LightRequest.prototype, key, {
      value(this: LightRequest, ...args: unknown[]) {
        return (this.real as unknown as Record<string, (...a: unknown[]) => unknown>)[key]!(...args);
      },
    });
  } else if (desc.get) {
    Object.defineProperty(LightRequest.prototype, key, {
      get(this: LightRequest) {
        return (this.real as unknown as Record<string, unknown>)[key];
      },
    });
  }
}
Object.setPrototypeOf(LightRequest.prototype, NativeRequest.prototype);

type ResponseInitLike = ResponseInit | undefined;

/** Replaces the global Response: string/empty bodies stay plain data until something needs undici. */
export class LightResponse {
  [state]: [string | null, ResponseInitLike] | undefined;
  [streamed] = false;
  #real: Response | undefined;

  constructor(body?: ConstructorParameters<typeof NativeResponse>[0], init?: ResponseInit) {
    if (body === undefined || body === null || typeof body === 'string') this[state] = [body ?? null, init];
    else {
      this.#real = new NativeResponse(body, init);
      this[streamed] = body instanceof ReadableStream;
    }
  }

  get real(): Response {
    if (!this.#real) {
      const [body, init] = this[state]!;
      this.#real = new NativeResponse(body, init);
      this[state] = undefined;
    }
    return this.#real;
  }

  get status(): number {
    const s = this[state];
    return s ? (s[1]?.status ?? 200) : this.real.status;
  }
  get ok(): boolean {
    return this.status >= 200 && this.status < 300;
  }
  static json(data: unknown, init?: ResponseInit): LightResponse {
    const headers = new Headers(init?.headers);
    if (!headers.has('content-type')) headers.set('content-type', 'application/json');
    return new LightResponse(JSON.stringify(data), { ...init, headers });
  }
  static error(): Response {
    return NativeResponse.error();
  }
  static redirect(url: string | URL, status?: number): Response {
    return NativeResponse.redirect(url, status as Parameters<typeof NativeResponse.redirect>[1]);
  }
}

for (const key of Object.getOwnPropertyNames(NativeResponse.prototype)) {
  if (key === 'constructor' || Object.hasOwn(LightResponse.prototype, key)) continue;
  const desc = Object.getOwnPropertyDescriptor(NativeResponse.prototype, key)!;
  if (typeof desc.value === 'function') {
    Object.defineProperty(LightResponse.prototype, key, {
      value(this: LightResponse, ...args: unknown[]) {
        return (this.real as unknown as Record<string, (...a: unknown[]) => unknown>)[key]!(...args);
      },
    });
  } else if (desc.get) {
    Object.defineProperty(LightResponse.prototype, key, {
      get(this: LightResponse) {
        return (this.real as unknown as Record<string, unknown>)[key];
      },
    });
  }
}
Object.setPrototypeOf(LightResponse.prototype, NativeResponse.prototype);
Object.setPrototypeOf(LightResponse, NativeResponse);

/** The plain data of a LightResponse that was never materialised, for the fast path. */
export function lightParts(value: unknown): [string | null, ResponseInitLike] | undefined {
  return value instanceof LightResponse ? value[state] : undefined;
}

/** The undici Response of a response whose body is a ReadableStream the function made, if it is one. */
export function streamedResponse(value: unknown): Response | undefined {
  return value instanceof LightResponse && value[streamed] ? value.real : undefined;
}

/** The undici Response behind any response a function may return (light or native), if it is one. */
export function nativeResponse(value: unknown): Response | undefined {
  if (value instanceof LightResponse) return value.real;
  return value instanceof NativeResponse ? value : undefined;
}

/** Install the light classes as globals; fetch() gets undici objects back. */
export function installLightGlobals(): void {
  Object.defineProperty(globalThis, 'Response', { value: LightResponse, writable: true, configurable: true });
  globalThis.fetch = (input: unknown, init?: RequestInit) => nativeFetch((input instanceof LightRequest ? input.real : input) as Parameters<typeof fetch>[0], init);
}
