/**
 * Where the CLI finds its server and key. The only place in the CLI that reads the environment,
 * so every command (and every test, through the child's env) sees the same resolution.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { NimbusError } from '../shared/errors.js';
import type { TracingOptions } from '../tracing/index.js';
import { type LocalNode, NODES_FILE, listNodes } from './nodes.js';

export const DEFAULT_URL = 'http://127.0.0.1:8081';
/** Relative to the working directory: where `nimbus up` keeps the key by default. */
export const DEFAULT_KEY_FILE = join('.nimbus', 'admin.key');

export interface CliConfig {
  url: string;
  key: string | undefined;
  /** Where the key came from, so an UNAUTHORIZED answer can say what to fix. */
  keySource: 'NIMBUS_KEY' | 'NIMBUS_API_KEY' | '--key' | 'file' | 'config' | 'none';
  keyFile: string | undefined;
  /** The per-user file of local nodes that was consulted (set when `keySource` is 'config' or 'none'). */
  nodesFile?: string;
  /** The gateway of the node at `url`, when that node is recorded (for "try it" lines). */
  gatewayUrl?: string;
}

/** What the global options say (`--key`, `--url`); both win over everything else. */
export interface CliFlags {
  key?: string | undefined;
  url?: string | undefined;
}

/**
 * The per-user folder where `nimbus up` records its nodes (see nodes.ts): NIMBUS_CONFIG_DIR (tests
 * point it at a temp dir), else $XDG_CONFIG_HOME/nimbus, else $HOME/.config/nimbus; undefined
 * when none is set (then nothing is recorded or read).
 */
export function userConfigDir(): string | undefined {
  const explicit = nonEmpty(process.env['NIMBUS_CONFIG_DIR']);
  if (explicit !== undefined) return explicit;
  const xdg = nonEmpty(process.env['XDG_CONFIG_HOME']);
  if (xdg !== undefined) return join(xdg, 'nimbus');
  const home = nonEmpty(process.env['HOME']);
  return home === undefined ? undefined : join(home, '.config', 'nimbus');
}

/**
 * Which node and which key, first match wins:
 * the URL: `--url`, NIMBUS_URL, the recorded node the key belongs to, the most recent recorded
 * node, http://127.0.0.1:8081;
 * the key: `--key`, NIMBUS_API_KEY (an API key with a scope), NIMBUS_KEY, `./.nimbus/admin.key`,
 * the key file of the recorded node at that URL (the most recent one when no URL is given).
 */
export function readConfig(cwd: string = process.cwd(), flags: CliFlags | string = {}): CliConfig {
  const config = resolveConfig(cwd, flags);
  const configDir = userConfigDir();
  const gatewayUrl = configDir === undefined ? undefined : listNodes(configDir).find((n) => sameUrl(n.adminUrl, config.url))?.gatewayUrl;
  return gatewayUrl === undefined ? config : { ...config, gatewayUrl };
}

function resolveConfig(cwd: string, flags: CliFlags | string): CliConfig {
  const { key: flagKey, url: flagUrl } = typeof flags === 'string' ? { key: flags, url: undefined } : flags;
  const givenUrl = nonEmpty(flagUrl) ?? nonEmpty(process.env['NIMBUS_URL']);
  const configDir = userConfigDir();
  const nodes = (): LocalNode[] => (configDir === undefined ? [] : listNodes(configDir));
  const urlOr = (node: LocalNode | undefined): string => givenUrl ?? node?.adminUrl ?? DEFAULT_URL;
  const flag = nonEmpty(flagKey);
  if (flag !== undefined) return { url: urlOr(nodes()[0]), key: flag, keySource: '--key', keyFile: undefined };
  const apiKey = nonEmpty(process.env['NIMBUS_API_KEY']);
  if (apiKey !== undefined) return { url: urlOr(nodes()[0]), key: apiKey, keySource: 'NIMBUS_API_KEY', keyFile: undefined };
  const envKey = nonEmpty(process.env['NIMBUS_KEY']);
  if (envKey !== undefined) return { url: urlOr(nodes()[0]), key: envKey, keySource: 'NIMBUS_KEY', keyFile: undefined };
  const keyFile = join(cwd, DEFAULT_KEY_FILE);
  const local = readKeyFile(keyFile);
  // The node that uses this folder's key may have been started on other ports: its entry says where.
  if (local !== undefined) return { url: givenUrl ?? nodes().find((n) => n.keyFile === keyFile)?.adminUrl ?? DEFAULT_URL, key: local, keySource: 'file', keyFile };
  const known = nodes();
  const node = givenUrl === undefined ? known[0] : known.find((n) => sameUrl(n.adminUrl, givenUrl));
  const nodesFile = configDir === undefined ? undefined : join(configDir, NODES_FILE);
  const recorded = node === undefined ? undefined : readKeyFile(node.keyFile);
  if (node !== undefined && recorded !== undefined) return { url: urlOr(node), key: recorded, keySource: 'config', keyFile: node.keyFile, ...(nodesFile ? { nodesFile } : {}) };
  return { url: urlOr(undefined), key: undefined, keySource: 'none', keyFile: undefined, ...(nodesFile ? { nodesFile } : {}) };
}

function readKeyFile(file: string): string | undefined {
  if (!existsSync(file)) return undefined;
  try {
    return nonEmpty(readFileSync(file, 'utf8'));
  } catch {
    return undefined;
  }
}

/** `http://127.0.0.1:8081/` and `http://127.0.0.1:8081` name the same node. */
function sameUrl(a: string, b: string): boolean {
  return a.replace(/\/+$/, '') === b.replace(/\/+$/, '');
}

function nonEmpty(value: string | undefined): string | undefined {
  const v = value?.trim();
  return v === undefined || v === '' ? undefined : v;
}

/** The environment `${env:NAME}` of an imported serverless.yml reads (`nimbus deploy`, `nimbus import`). */
export function readTemplateEnv(): Record<string, string | undefined> {
  return { ...process.env };
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
