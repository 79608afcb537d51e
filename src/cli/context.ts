/**
 * What every command gets from the entry point: the working directory and a client built from
 * the configuration. Commands never read the environment themselves.
 */
import { NimbusClient } from '../client/client.js';
import { type CliConfig, type CliFlags, readConfig } from './config.js';

export interface CliContext {
  cwd: string;
  /** The global `--key` option, set before any command runs. */
  useKey(key: string | undefined): void;
  /** The global `--url` option, set before any command runs. */
  useUrl(url: string | undefined): void;
  config(): CliConfig;
  client(): NimbusClient;
}

export function createContext(cwd: string): CliContext {
  let config: CliConfig | undefined;
  const flags: CliFlags = {};
  const getConfig = (): CliConfig => (config ??= readConfig(cwd, flags));
  return {
    cwd,
    useKey: (key) => {
      flags.key = key;
      config = undefined;
    },
    useUrl: (url) => {
      flags.url = url;
      config = undefined;
    },
    config: getConfig,
    client: () => {
      const c = getConfig();
      return new NimbusClient({ url: c.url, key: c.key });
    },
  };
}

/** What to tell a user whose key was refused or missing. */
export function unauthorizedHint(config: CliConfig): string {
  if (config.keySource === 'none') {
    const recorded = config.nodesFile === undefined ? '' : ` (no running node is recorded in ${config.nodesFile})`;
    return `hint: no admin key found${recorded}: start a node with \`nimbus up\`, or export NIMBUS_KEY=$(cat <data-dir>/admin.key)`;
  }
  const from = config.keySource === 'file' || config.keySource === 'config' ? (config.keyFile ?? 'the key file') : config.keySource;
  return `hint: the key from ${from} was refused by ${config.url}: is it the admin.key of that server, or an API key of it that is not expired or revoked?`;
}
