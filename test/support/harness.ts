/**
 * End-to-end harness: a real Nimbus node (SQLite in a temp data dir, real sandbox processes,
 * real HTTP on free ports) plus helpers to write app directories and call the gateway.
 * Everything it creates is removed by `close()`.
 */
import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { NimbusClient, deployDir, type DeployDirResult } from '../../src/client/index.js';
import { startNimbus, type NimbusOptions, type RunningNimbus } from '../../src/server/index.js';

export interface TestNimbus extends RunningNimbus {
  client: NimbusClient;
  dataDir: string;
  /** Server log lines collected so far. */
  logs: string[];
  /** Write an app directory (paths → contents) and deploy it. */
  deploy(files: Record<string, string>): Promise<DeployDirResult & { dir: string }>;
  /** Write an app directory without deploying it. */
  writeApp(files: Record<string, string>): Promise<string>;
  /** fetch() against the gateway. */
  fetch(path: string, init?: RequestInit): Promise<Response>;
}

export async function startTestNimbus(options: Partial<NimbusOptions> = {}): Promise<TestNimbus> {
  const root = await mkdtemp(join(tmpdir(), 'nimbus-test-'));
  const dataDir = join(root, 'data');
  const logs: string[] = [];
  const nimbus = await startNimbus({ dataDir, port: 0, adminPort: 0, poolSize: 1, log: (l) => logs.push(l), ...options });
  const client = new NimbusClient({ url: nimbus.adminUrl, key: nimbus.adminKey });
  let apps = 0;
  const writeApp = async (files: Record<string, string>): Promise<string> => {
    const dir = join(root, `app-${++apps}`);
    for (const [path, content] of Object.entries(files)) {
      await mkdir(dirname(join(dir, path)), { recursive: true });
      await writeFile(join(dir, path), content);
    }
    return dir;
  };
  return {
    ...nimbus,
    client,
    dataDir,
    logs,
    writeApp,
    async deploy(files) {
      const dir = await writeApp(files);
      return { ...(await deployDir(client, dir)), dir };
    },
    fetch: (path, init) => fetch(`${nimbus.gatewayUrl}${path}`, init),
    async close() {
      await nimbus.close();
      await rm(root, { recursive: true, force: true });
    },
  };
}

/** A one-function manifest. */
export function manifest(app: string, functions: Record<string, Record<string, unknown>>): string {
  const lines = [`app: ${app}`, 'functions:'];
  for (const [name, cfg] of Object.entries(functions)) {
    lines.push(`  ${name}:`);
    for (const [k, v] of Object.entries(cfg)) lines.push(`    ${k}: ${JSON.stringify(v)}`);
  }
  return `${lines.join('\n')}\n`;
}

/** Poll until `check` returns a truthy value (or throw after `timeoutMs`). */
export async function eventually<T>(check: () => Promise<T | undefined | false> | T | undefined | false, timeoutMs = 10_000, what = 'condition'): Promise<T> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value) return value;
    if (Date.now() > until) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
