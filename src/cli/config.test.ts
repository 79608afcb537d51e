import * as assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, afterEach, before, describe, it } from 'node:test';
import { DEFAULT_URL, readConfig, userConfigDir } from './config.js';
import { NODES_FILE, forgetNode, listNodes, recordNode, type LocalNode } from './nodes.js';

// readConfig is the CLI's one reader of process.env: these tests set it and put it back.
const VARS = ['NIMBUS_CONFIG_DIR', 'XDG_CONFIG_HOME', 'HOME', 'NIMBUS_URL', 'NIMBUS_KEY', 'NIMBUS_API_KEY'] as const;
const saved = Object.fromEntries(VARS.map((v) => [v, process.env[v]]));

describe('CLI key discovery', () => {
  let root: string;
  let configDir: string;
  let anywhere: string;
  const node = (over: Partial<LocalNode>): LocalNode => ({
    adminUrl: 'http://127.0.0.1:9001',
    gatewayUrl: 'http://127.0.0.1:9000',
    keyFile: join(root, 'a', 'admin.key'),
    dataDir: join(root, 'a'),
    pid: process.pid,
    startedAt: new Date().toISOString(),
    ...over,
  });

  before(async () => {
    root = await mkdtemp(join(tmpdir(), 'nimbus-config-'));
    configDir = join(root, 'config');
    anywhere = join(root, 'somewhere', 'my-app');
    await mkdir(anywhere, { recursive: true });
    await mkdir(join(root, 'a'));
    await mkdir(join(root, 'b'));
    await writeFile(join(root, 'a', 'admin.key'), 'key-a\n');
    await writeFile(join(root, 'b', 'admin.key'), 'key-b\n');
  });
  afterEach(async () => {
    for (const v of VARS)
      if (saved[v] === undefined) delete process.env[v];
      else process.env[v] = saved[v];
    await rm(configDir, { recursive: true, force: true });
  });
  after(() => rm(root, { recursive: true, force: true }));

  const only = (env: Partial<Record<(typeof VARS)[number], string>>): void => {
    for (const v of VARS) delete process.env[v];
    Object.assign(process.env, env);
  };

  it('the config dir: NIMBUS_CONFIG_DIR, else XDG_CONFIG_HOME/nimbus, else ~/.config/nimbus, else none', () => {
    only({ HOME: '/home/u' });
    assert.equal(userConfigDir(), '/home/u/.config/nimbus');
    only({ HOME: '/home/u', XDG_CONFIG_HOME: '/x' });
    assert.equal(userConfigDir(), '/x/nimbus');
    only({ HOME: '/home/u', XDG_CONFIG_HOME: '/x', NIMBUS_CONFIG_DIR: '/t' });
    assert.equal(userConfigDir(), '/t');
    only({});
    assert.equal(userConfigDir(), undefined);
  });

  it('a recorded node is found from any directory, the most recent one by default, and the file is private', () => {
    only({ NIMBUS_CONFIG_DIR: configDir });
    assert.equal(readConfig(anywhere).keySource, 'none');
    recordNode(configDir, node({}));
    recordNode(configDir, node({ adminUrl: 'http://127.0.0.1:9101', gatewayUrl: 'http://127.0.0.1:9100', keyFile: join(root, 'b', 'admin.key') }));
    assert.equal(statSync(join(configDir, NODES_FILE)).mode & 0o777, 0o600);
    const c = readConfig(anywhere);
    assert.deepEqual([c.url, c.key, c.keySource, c.gatewayUrl], ['http://127.0.0.1:9101', 'key-b', 'config', 'http://127.0.0.1:9100']);
    // NIMBUS_URL picks the node; its key comes with it.
    process.env['NIMBUS_URL'] = 'http://127.0.0.1:9001/';
    assert.deepEqual([readConfig(anywhere).key, readConfig(anywhere).gatewayUrl], ['key-a', 'http://127.0.0.1:9000']);
  });

  it('flags, then the environment, then ./.nimbus/admin.key, then the recorded node', async () => {
    only({ NIMBUS_CONFIG_DIR: configDir });
    recordNode(configDir, node({}));
    const inRepo = join(root, 'repo');
    await mkdir(join(inRepo, '.nimbus'), { recursive: true });
    await writeFile(join(inRepo, '.nimbus', 'admin.key'), 'key-local\n');
    assert.deepEqual([readConfig(inRepo).key, readConfig(inRepo).url], ['key-local', DEFAULT_URL]);
    process.env['NIMBUS_KEY'] = 'key-env';
    assert.equal(readConfig(anywhere).key, 'key-env');
    process.env['NIMBUS_API_KEY'] = 'key-api';
    assert.equal(readConfig(anywhere).keySource, 'NIMBUS_API_KEY');
    const flagged = readConfig(anywhere, { key: 'key-flag', url: 'http://h:1' });
    assert.deepEqual([flagged.key, flagged.url], ['key-flag', 'http://h:1']);
  });

  it('a stopped node is forgotten, and a node killed without stopping is skipped', () => {
    only({ NIMBUS_CONFIG_DIR: configDir });
    recordNode(configDir, node({}));
    forgetNode(configDir, 'http://127.0.0.1:9001', process.pid);
    assert.deepEqual(listNodes(configDir), []);
    // No process has pid 2^22 + 1 (above Linux's pid_max): the entry of a dead node.
    recordNode(configDir, node({ pid: 4_194_305 }));
    assert.deepEqual(listNodes(configDir), []);
    assert.equal(readConfig(anywhere).keySource, 'none');
  });
});
