/** The whole run as it is written to latest.json (and rendered into latest.md). */
import type { CaseResult } from '../lib/context.js';
import type { GitInfo, MachineInfo } from '../lib/machine.js';

export interface RunReport {
  /** Bumped when the shape of this file changes. */
  schema: 1;
  mode: 'full' | 'quick';
  /** The cases asked for with --only, or null for all of them. */
  only: string[] | null;
  startedAt: string;
  durationS: number;
  machine: MachineInfo;
  git: GitInfo;
  command: string;
  cases: CaseResult[];
}
