/**
 * Sandboxed processes may read only the shim's folder. Copy the compiled shim into the node's
 * own temp root, world-readable, so that (a) the permission model's read grant covers nothing
 * else of the installation and (b) a sandbox uid can read it wherever Nimbus is installed
 * (e.g. under a 0700 home directory).
 */
import { chmodSync, copyFileSync, mkdirSync, mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export interface SandboxFiles {
  /** Parent of every instance's temp dir (and of the shim copy). */
  root: string;
  shimPath: string;
}

export function prepareSandboxFiles(): SandboxFiles {
  const root = mkdtempSync(join(tmpdir(), 'nimbus-'));
  // Traverse-only for others: a sandbox uid can reach its own dir but not list its siblings.
  chmodSync(root, 0o711);
  const shimDir = join(root, 'shim');
  mkdirSync(shimDir, { mode: 0o755 });
  const source = fileURLToPath(new URL('../sandbox/', import.meta.url));
  for (const file of readdirSync(source)) {
    if (!file.endsWith('.js')) continue;
    copyFileSync(join(source, file), join(shimDir, file));
    chmodSync(join(shimDir, file), 0o644);
  }
  // The shim is ESM: a package.json with "type": "module" must sit beside it.
  writeFileSync(join(shimDir, 'package.json'), '{"type":"module"}\n', { mode: 0o644 });
  return { root, shimPath: join(shimDir, 'shim.js') };
}
