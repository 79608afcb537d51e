/**
 * The order and sizes the host accepts from a sandbox, which it does not trust: the function's
 * own code can write frames to fd 3 (`fs.writeSync(3, …)`) as well as the shim can.
 *
 *   starting ──ready──▶ warm ──loaded | loadError──▶ loaded
 *
 * `ready` carries the process's idle RSS, the baseline of the host's memory watch: it is taken
 * once, before any function code is loaded, so a forged one cannot reset the baseline. Before
 * `ready` nothing else is accepted; `loaded`/`loadError` come once, after it. `part` slices are at
 * most MAX_PART_CHARS, and the shim sends a call's parts and then the call in one go, so a part of
 * another call while one is open is forged too. Anything out of order is a protocol violation: the
 * caller kills the process and says why in the instance's record and log.
 */
import type { SandboxMessage } from '../sandbox/protocol.js';
import { MAX_PART_CHARS } from '../sandbox/protocol.js';

export type ProtocolPhase = 'starting' | 'warm' | 'loaded';

export class ProtocolGuard {
  phase: ProtocolPhase = 'starting';
  /** The call whose `part`s have arrived and whose `call` has not. */
  private openPart: number | undefined;

  /** Why `message` breaks the protocol here, or undefined when it is in order (the state moves on). */
  check(message: SandboxMessage): string | undefined {
    if (this.phase === 'starting' && message.t !== 'ready') return `a "${message.t}" message before "ready"`;
    switch (message.t) {
      case 'ready':
        if (this.phase !== 'starting') return 'a second "ready" message (it is accepted once, before the function is loaded)';
        this.phase = 'warm';
        return undefined;
      case 'loaded':
      case 'loadError':
        if (this.phase !== 'warm') return `a second "${message.t}" message`;
        this.phase = 'loaded';
        return undefined;
      case 'part':
        if (message.data.length > MAX_PART_CHARS) return `a "part" of ${message.data.length} characters (at most ${MAX_PART_CHARS})`;
        if (this.openPart !== undefined && this.openPart !== message.cid) return `a "part" of call ${message.cid} while the parts of call ${this.openPart} are not followed by their call`;
        this.openPart = message.cid;
        return undefined;
      case 'call':
        if (this.openPart !== undefined && this.openPart !== message.cid) return `call ${message.cid} while the parts of call ${this.openPart} are not followed by their call`;
        this.openPart = undefined;
        return undefined;
      default:
        return undefined;
    }
  }
}
