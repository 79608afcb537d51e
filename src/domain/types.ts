/**
 * Domain types shared by every subsystem. No I/O here: plain data that the manifest
 * produces, the store keeps and the runtime executes.
 */

/** An HTTP trigger: `GET /hello/{name}`; method `ANY` matches every method. */
export interface HttpTrigger {
  type: 'http';
  method: string;
  /** Path template with `{param}` segments and an optional trailing `{proxy+}`. */
  path: string;
}

export type Trigger = HttpTrigger;

/** How the sandbox finds the handler inside a bundle. */
export interface HandlerRef {
  /** Source file relative to the app directory, e.g. `src/hello.ts`. */
  file: string;
  /**
   * The named export to call Lambda style (`src/app.lambdaHandler` → `lambdaHandler`),
   * or null for a module whose default export is `{ fetch }` (web style) or which exports `handler`.
   */
  export: string | null;
}

/** A function's settings after defaults are applied: what a version freezes. */
export interface FunctionConfig {
  handler: HandlerRef;
  /** MB, 64..4096. */
  memory: number;
  /** Seconds, up to 900. */
  timeout: number;
  /** Max concurrent instances of this function; null = only the node-wide limit. */
  concurrency: number | null;
  /** Requests one instance serves at once. */
  instanceConcurrency: number;
  /** Instances kept warm. */
  minInstances: number;
  /** Seconds an idle instance lives. */
  idleTimeout: number;
  env: Record<string, string>;
  triggers: Trigger[];
}

/** A validated manifest: what `nimbus.yaml` means once parsed and defaulted. */
export interface AppSpec {
  app: string;
  functions: Record<string, FunctionConfig>;
}

/** One immutable version of a function. */
export interface FunctionVersion {
  app: string;
  name: string;
  version: number;
  /** sha256 of the bundle plus the canonical config: equal hash = unchanged function. */
  hash: string;
  /** sha256 of the bundle (code is stored once per distinct bundle). */
  codeHash: string;
  /** Bundle size in bytes. */
  codeSize: number;
  config: FunctionConfig;
  createdAt: number;
}

/** A deployed function: its identity and the version that serves traffic. */
export interface FunctionRecord {
  app: string;
  name: string;
  activeVersion: number;
  latestVersion: number;
  createdAt: number;
  updatedAt: number;
  /** The active version's details. */
  active: FunctionVersion;
}

export type InvocationStatus = 'ok' | 'error' | 'timeout' | 'oom' | 'crashed' | 'throttled';
export type TriggerKind = 'http' | 'api' | 'event';

/** The record every invocation leaves, throttled ones included. */
export interface InvocationRecord {
  id: string;
  app: string;
  function: string;
  version: number;
  trigger: TriggerKind;
  /** Epoch ms when the gateway accepted the request. */
  startedAt: number;
  /** Wall ms from accept to answer. */
  durationMs: number;
  /** Duration rounded up to the next whole ms (what metering bills). */
  billedMs: number;
  memoryMb: number;
  /** Peak RSS of the instance in MB as seen after the invocation; null if unknown. */
  maxMemoryMb: number | null;
  coldStart: boolean;
  /** Ms spent loading the function's module on a cold start; null when warm. */
  initMs: number | null;
  status: InvocationStatus;
  /** Error code and message when status is not ok. */
  errorCode: string | null;
  errorMessage: string | null;
  /** HTTP status sent to the caller, when the trigger was HTTP. */
  httpStatus: number | null;
}

export type LogStream = 'stdout' | 'stderr' | 'system';

/** One captured line of a function's output. */
export interface LogLine {
  /** Monotonic cursor assigned by the store; 0 before it is stored. */
  seq: number;
  invocationId: string | null;
  app: string;
  function: string;
  version: number;
  /** Epoch ms. */
  ts: number;
  stream: LogStream;
  line: string;
}
