/**
 * Idle CPU control (issue 8, finding 4): an instance that has answered may keep running work it
 * scheduled (a `setImmediate` loop), forever. Once it has been idle for `delayMs`, its cgroup gets
 * a CPU quota of 5% of one core; the next dispatch lifts it before the invocation is sent. A steady
 * stream of requests never writes a file (the quota is set only after a quiet spell); a throttled
 * instance costs one write on dispatch.
 *
 * A quota rather than the freezer: a process frozen by the v1 freezer cannot die until thawed, so
 * a frozen instance of a node that was `kill -9`'d would stay forever; a throttled one dies with it.
 */
import type { Clock } from '../shared/clock.js';
import type { SandboxCgroup } from './cgroups.js';

export class IdleGovernor {
  private readonly idleSince = new Map<SandboxCgroup, number>();
  private readonly timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly clock: Clock,
    private readonly delayMs = 200,
    tickMs = 100,
  ) {
    if (tickMs > 0) {
      this.timer = setInterval(() => this.tick(), tickMs);
      this.timer.unref();
    }
  }

  idle(group: SandboxCgroup): void {
    this.idleSince.set(group, this.clock.now());
  }

  busy(group: SandboxCgroup): void {
    this.idleSince.delete(group);
    group.setIdle(false);
  }

  /** Throttle the groups idle for longer than the delay (the timer calls it; tests call it). */
  tick(): void {
    const now = this.clock.now();
    for (const [group, since] of this.idleSince) {
      if (now - since < this.delayMs) continue;
      group.setIdle(true);
      this.idleSince.delete(group);
    }
  }

  close(): void {
    clearInterval(this.timer);
    this.idleSince.clear();
  }
}
