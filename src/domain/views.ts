/** The JSON shapes the control API sends (docs/control-api.md): written by the server, read by the client. */
import type { FunctionConfig, FunctionRecord, LogStream } from './types.js';

/** A function as `GET /v1/apps/{app}/functions/{fn}` describes it: its record, flattened. */
export interface FunctionView extends Omit<FunctionRecord, 'active'> {
  codeSize: number;
  config: FunctionConfig;
  /** e.g. `GET /hello/{name}` */
  routes: string[];
  instances: { total: number; busy: number; idle: number };
}

export interface VersionView {
  version: number;
  hash: string;
  codeSize: number;
  createdAt: number;
  active: boolean;
  config: FunctionConfig;
}

export interface LogLineView {
  seq: number;
  invocationId: string | null;
  ts: number;
  stream: LogStream;
  line: string;
  version: number;
}

export interface LogsPage {
  lines: LogLineView[];
  /** The cursor to pass as `after` for the lines that come next. */
  next: number;
  /** More lines were stored already: a page holds at most 1,000 lines or ~1 MB. */
  more: boolean;
}

/** A dead-lettered event as `GET /v1/apps/{app}/functions/{fn}/dlq` lists it. */
export interface DeadEventView {
  id: string;
  /** invoke | schedule | topic | webhook | bucket | destination */
  source: string;
  /** invoke | scheduled | queue */
  shape: string;
  /** The topic, bucket, webhook path or schedule it came from; '' for an async invoke. */
  origin: string;
  /** The event as queued; a topic message is the message itself. */
  payload: unknown;
  /** A topic message's attributes, when it was published with some. */
  attributes?: Record<string, string>;
  attempts: number;
  maxAttempts: number;
  createdAt: number;
  expiresAt: number;
  lastError: string | null;
  deadAt: number;
  /** Why it was given up, e.g. `RetriesExhausted after 3 attempt(s): FUNCTION_ERROR: boom`. */
  reason: string;
}

/** The answer to an async invoke (`X-Nimbus-Invocation-Type: Event`): 202 once the event is durable. */
export interface AsyncInvokeView {
  invocationId: string;
  /** True when the Idempotency-Key was already used: the id is the first event's. */
  duplicate: boolean;
}
