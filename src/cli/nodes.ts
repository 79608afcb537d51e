/**
 * The per-user list of local nodes: `nimbus up` records its control-API URL and admin key file
 * here when it starts and removes the entry when it stops, so the CLI finds the node's key from
 * any directory of the machine (`nimbus init my-app && cd my-app && nimbus deploy`).
 *
 * One JSON file (`<config dir>/config.json`, mode 0600 in a 0700 folder) keyed by admin URL; the
 * most recently started node comes first and is the default. Entries of processes that are gone
 * (a `kill -9`ed node) are skipped when read and dropped on the next write. The key itself is
 * never copied here: only where it lives, readable by its owner.
 */
import { chmodSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';

export const NODES_FILE = 'config.json';

const nodeSchema = z.object({
  adminUrl: z.string(),
  gatewayUrl: z.string(),
  keyFile: z.string(),
  dataDir: z.string(),
  pid: z.number().int(),
  startedAt: z.string(),
});
const fileSchema = z.object({ nodes: z.array(nodeSchema) }).loose();

export type LocalNode = z.infer<typeof nodeSchema>;

/** Entries as stored (an unreadable or malformed file counts as empty: it is a cache, not a source of truth). */
function readFile(dir: string): z.infer<typeof fileSchema> {
  try {
    const parsed = fileSchema.safeParse(JSON.parse(readFileSync(join(dir, NODES_FILE), 'utf8')));
    return parsed.success ? parsed.data : { nodes: [] };
  } catch {
    return { nodes: [] };
  }
}

/** Write via a temp file and rename, so a reader never sees half a file. */
function writeFile(dir: string, data: z.infer<typeof fileSchema>): void {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const file = join(dir, NODES_FILE);
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, `${JSON.stringify(data, null, 2)}\n`, { mode: 0o600 });
  chmodSync(tmp, 0o600);
  renameSync(tmp, file);
}

/** Is the process that recorded an entry still running? (EPERM: it is, under another user.) */
function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** The running local nodes, the most recently started first. */
export function listNodes(dir: string): LocalNode[] {
  return readFile(dir).nodes.filter((n) => alive(n.pid));
}

/** Record a node that just started (replacing any entry with its admin URL); it becomes the default. */
export function recordNode(dir: string, node: LocalNode): void {
  const data = readFile(dir);
  data.nodes = [node, ...data.nodes.filter((n) => n.adminUrl !== node.adminUrl && alive(n.pid))];
  writeFile(dir, data);
}

/** Remove the entry a stopping node wrote (only its own: another node may have the URL since). */
export function forgetNode(dir: string, adminUrl: string, pid: number): void {
  const data = readFile(dir);
  const kept = data.nodes.filter((n) => !(n.adminUrl === adminUrl && n.pid === pid) && alive(n.pid));
  if (kept.length === data.nodes.length) return;
  data.nodes = kept;
  writeFile(dir, data);
}
