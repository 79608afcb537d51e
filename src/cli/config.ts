/**
 * Where the CLI finds its server and key. The only place in the CLI that reads the environment,
 * so every command (and every test, through the child's env) sees the same resolution.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { NimbusError } from '../shared/errors.js';
import type { TracingOptions } from '../tracing/index.js';

export const DEFAULT_URL = 'http://127.0.0.1:8081';
/** Relative to the working directory: where `nimbus up` keeps the key by default. */
export const DEFAULT_KEY_FILE = join('.nimbus', 'admin.key');

export interface CliConfig {
  url: string;
  key: string | undefined;
  /** Where the key came from, so an UNAUTHORIZED answer can say what to fix. */
  keySource: 'NIMBUS_KEY' | 'NIMBUS_API_KEY' | '--key' | 'file' | 'none';
  keyFile: string | undefined;
}

/**
 * NIMBUS_URL (default 127.0.0.1:8081); the key: `--key` (passed in as `flagKey`), else NIMBUS_API_KEY
 * (an API key with a scope), else NIMBUS_KEY, else `./.nimbus/admin.key` if present.
 */
export function readConfig(cwd: string = process.cwd(), flagKey?: string): CliConfig {
  const url = nonEmpty(process.env['NIMBUS_URL']) ?? DEFAULT_URL;
  const flag = nonEmpty(flagKey);
  if (flag !== undefined) return { url, key: flag, keySource: '--key', keyFile: undefined };
  const apiKey = nonEmpty(process.env['NIMBUS_API_KEY']);
  if (apiKey !== undefined) return { url, key: apiKey, keySource: 'NIMBUS_API_KEY', keyFile: undefined };
  const envKey = nonEmpty(process.env['NIMBUS_KEY']);
  if (envKey !== undefined) return { url, key: envKey, keySource: 'NIMBUS_KEY', keyFile: undefined };
  const keyFile = join(cwd, DEFAULT_KEY_FILE);
  if (existsSync(keyFile)) {
    const key = nonEmpty(readFileSync(keyFile, 'utf8'));
    if (key !== undefined) return { url, key, keySource: 'file', keyFile };
  }
  return { url, key: undefined, keySource: 'none', keyFile: undefined };
}

function nonEmpty(value: string | undefined): string | undefined {
  const v = value?.trim();
  return v === undefined || v === '' ? undefined : v;
}

/**
 * OpenTelemetry settings for `nimbus up` (the standard OTEL_* variables); `flagEndpoint`
 * (`--otlp-endpoint`) wins over OTEL_EXPORTER_OTLP_ENDPOINT. Undefined without an endpoint: no tracing.
 */
export function readTracing(flagEndpoint?: string): TracingOptions | undefined {
  const endpoint = nonEmpty(flagEndpoint) ?? nonEmpty(process.env['OTEL_EXPORTER_OTLP_ENDPOINT']);
  if (endpoint === undefined) return undefined;
  const protocol = nonEmpty(process.env['OTEL_EXPORTER_OTLP_TRACES_PROTOCOL']) ?? nonEmpty(process.env['OTEL_EXPORTER_OTLP_PROTOCOL']) ?? 'http/protobuf';
  if (protocol !== 'http/protobuf' && protocol !== 'http/json') {
    throw new NimbusError('BAD_REQUEST', `OTEL_EXPORTER_OTLP_PROTOCOL "${protocol}" is not supported: use http/protobuf or http/json`);
  }
  const options: TracingOptions = { endpoint, protocol, serviceName: nonEmpty(process.env['OTEL_SERVICE_NAME']) ?? 'nimbus' };
  const sampler = nonEmpty(process.env['OTEL_TRACES_SAMPLER']);
  const samplerArg = nonEmpty(process.env['OTEL_TRACES_SAMPLER_ARG']);
  if (sampler !== undefined) options.sampler = sampler;
  if (samplerArg !== undefined) options.samplerArg = samplerArg;
  return options;
}

/** NIMBUS_MASTER_KEY for `nimbus up`: the key that encrypts app secrets (unset: <data-dir>/master.key). */
export function readMasterKey(): string | undefined {
  return nonEmpty(process.env['NIMBUS_MASTER_KEY']);
}

/** Colour on a terminal, unless NO_COLOR is set (https://no-color.org). */
export function colorWanted(isTTY: boolean | undefined): boolean {
  return isTTY === true && nonEmpty(process.env['NO_COLOR']) === undefined;
}
