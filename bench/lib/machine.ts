/** The facts about the machine and the code that a result is meaningless without. */
import { execFileSync } from 'node:child_process';
import { cpus, release, totalmem } from 'node:os';
import { repoRoot } from './paths.js';

export interface MachineInfo {
  cores: number;
  cpuModel: string;
  node: string;
  os: string;
  memoryGb: number;
}

export interface GitInfo {
  commit: string | null;
  /** Uncommitted changes under src/ (what is being measured) at the time of the run. */
  srcDirty: boolean | null;
}

export function machineInfo(): MachineInfo {
  const list = cpus();
  return {
    cores: list.length,
    cpuModel: list[0]?.model.trim() ?? 'unknown',
    node: process.version,
    os: `${process.platform} ${release()}`,
    memoryGb: Math.round((totalmem() / 2 ** 30) * 10) / 10,
  };
}

function git(args: string[]): string | null {
  try {
    return execFileSync('git', args, { cwd: repoRoot, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch {
    return null;
  }
}

export function gitInfo(): GitInfo {
  const status = git(['status', '--porcelain', '--', 'src']);
  return { commit: git(['rev-parse', 'HEAD']), srcDirty: status === null ? null : status !== '' };
}
