/**
 * The wire shapes of the control API (docs/control-api.md) as the client sees them.
 * Store and domain types are reused where the contract says the server sends them as they are.
 */
import type { AsyncInvokeView, DeadEventView, FunctionView, InvocationRecord, LogLineView, LogsPage, VersionView } from '../domain/index.js';
import type { AppSummary, DeployAppResult } from '../store/index.js';

export type { AppSummary, AsyncInvokeView, DeadEventView, DeployAppResult, FunctionView, InvocationRecord, LogLineView, LogsPage, VersionView };

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
