/** The JSON shapes the control API sends (docs/control-api.md): written by the server, read by the client. */
import type { FunctionConfig, LogStream } from './types.js';

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
  version: number;
}

export interface LogsPage {
  lines: LogLineView[];
  /** The cursor to pass as `after` for the lines that come next. */
  next: number;
}
