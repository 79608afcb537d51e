/**
 * Sandbox uids, node by node: each node claims its own range with a lock file
 * (`<dir>/range-<i>.lock` holding the owner id, see owner.ts); a range whose owner is dead may be
 * reclaimed. Within the range, a uid goes back to the free list only when its previous holder can no
 * longer run (the caller releases it once the sandbox's cgroup is empty or the process is known dead).
 */
import { mkdirSync, openSync, readFileSync, renameSync, rmSync, writeSync, closeSync, linkSync } from 'node:fs';
import { join } from 'node:path';
import { NimbusError } from '../shared/errors.js';
import { ownerAlive, ownerId } from './owner.js';

export interface UidRangeOptions {
  /** Where the lock files live. Default /run/nimbus/uids. */
  dir?: string;
  /** First uid of range 0. Default 100000 (above ordinary users, below nobody's 65534 is avoided). */
  base?: number;
  /** Uids per range. Default 1000. */
  size?: number;
  /** Ranges to try. Default 64. */
  ranges?: number;
  owner?: string;
  isAlive?: (owner: string) => boolean;
}

export class UidRange {
  readonly first: number;
  readonly size: number;
  private readonly free: number[] = [];
  private next: number;

  private constructor(
    readonly file: string,
    first: number,
    size: number,
  ) {
    this.first = first;
    this.size = size;
    this.next = first;
  }

  /** Claim the first range that is free or whose owner is dead. */
  static claim(options: UidRangeOptions = {}): UidRange {
    const dir = options.dir ?? '/run/nimbus/uids';
    const base = options.base ?? 100_000;
    const size = options.size ?? 1000;
    const owner = options.owner ?? ownerId();
    const isAlive = options.isAlive ?? ownerAlive;
    mkdirSync(dir, { recursive: true, mode: 0o755 });
    for (let i = 0; i < (options.ranges ?? 64); i++) {
      const file = join(dir, `range-${i}.lock`);
      if (tryCreate(file, owner)) return new UidRange(file, base + i * size, size);
      const holder = readOwner(file);
      if (holder === undefined || isAlive(holder)) continue;
      // Reclaim: move the dead owner's file aside (only one node's rename wins), then create ours.
      const aside = `${file}.${owner}.stale`;
      try {
        renameSync(file, aside);
      } catch {
        continue;
      }
      const moved = readOwner(aside);
      if (moved !== holder) {
        // Another node reclaimed it meanwhile and we moved its fresh claim: put it back.
        try {
          linkSync(aside, file);
        } catch {
          // It claimed again itself.
        }
        rmSync(aside, { force: true });
        continue;
      }
      rmSync(aside, { force: true });
      if (tryCreate(file, owner)) return new UidRange(file, base + i * size, size);
    }
    throw new NimbusError('ISOLATION_UNAVAILABLE', `no free sandbox uid range left in ${dir}: every range belongs to a live node`);
  }

  /** A never-used uid of the range first, then the one released longest ago. */
  acquire(): number {
    if (this.next < this.first + this.size) return this.next++;
    const reused = this.free.shift();
    if (reused !== undefined) return reused;
    throw new NimbusError('ISOLATION_UNAVAILABLE', `no free sandbox uid left in ${this.first}..${this.first + this.size - 1}`);
  }

  /** Only once nothing may still run as `uid`. Oldest released first, so a uid rests as long as it can. */
  release(uid: number): void {
    if (uid >= this.first && uid < this.first + this.size && !this.free.includes(uid)) this.free.push(uid);
  }

  /** Give the range back (node shutdown). */
  close(): void {
    rmSync(this.file, { force: true });
  }
}

function tryCreate(file: string, owner: string): boolean {
  let fd: number;
  try {
    fd = openSync(file, 'wx', 0o644);
  } catch {
    return false;
  }
  writeSync(fd, `${owner}\n`);
  closeSync(fd);
  return true;
}

function readOwner(file: string): string | undefined {
  try {
    return readFileSync(file, 'utf8').trim() || undefined;
  } catch {
    return undefined;
  }
}
