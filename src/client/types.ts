/**
 * The wire shapes of the control API (docs/control-api.md) as the client sees them.
 * Store and domain types are reused where the contract says the server sends them as they are.
 */
import type { FunctionConfig, InvocationRecord, LogStream } from '../domain/index.js';
import type { AppSummary, DeployAppResult } from '../store/index.js';

export type { AppSummary, DeployAppResult, InvocationRecord };

/** A function as `GET /v1/apps/{app}/functions/{fn}` describes it. */
export interface FunctionView {
  app: string;
  name: string;
  activeVersion: number;
  latestVersion: number;
  createdAt: number;
  updatedAt: number;
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
}

export interface LogsPage {
  lines: LogLineView[];
  /** The cursor to pass as `after` for the lines that come next. */
  next: number;
}

export interface LogsQuery {
  invocation?: string;
  after?: number;
  limit?: number;
}

export interface InvocationsQuery {
  limit?: number;
  /** Epoch ms: only records that started before (paging). */
  before?: number;
}

/** Only `code` travels: the server hashes and sizes the bundle itself. */
export interface BundleInput {
  code: string;
}

/** A platform error the gateway answered an invocation with. */
export interface InvokeError {
  code: string;
  message: string;
  details?: Record<string, unknown>;
}

/** The outcome of a sync invoke, failures included: a function error is data, not an exception. */
export interface InvokeResult {
  invocationId: string;
  status: number;
  headers: Record<string, string>;
  body: string;
  /** The body parsed as JSON; throws a SyntaxError if it is not JSON. */
  json(): unknown;
  /** Set when Nimbus (not the function's own response) reports a failure, e.g. FUNCTION_ERROR. */
  error: InvokeError | null;
}
