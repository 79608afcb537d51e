/**
 * A sandbox transport and a process source that tests drive by hand: no process, no timers of
 * its own. `FakeTransport` answers `load` with `loaded` at once (unless told to hold it) and keeps
 * every invocation it is sent until the test answers it; `FakeSandboxes` stands in for the warm
 * pool, with processes ready now (`ready`) or delivered when the test says (`deliver`).
 */
import type { HostMessage, SandboxMessage } from '../sandbox/protocol.js';
import type { Acquisition, WarmPool } from './pool.js';
import type { ExitInfo, KillReason, SandboxTransport } from './transport.js';

let nextPid = 1000;

export class FakeTransport implements SandboxTransport {
  readonly pid = nextPid++;
  readonly ready: Promise<void>;
  readonly exited: Promise<ExitInfo>;
  baselineRss = 0;
  isAlive = true;
  onMessage: (message: SandboxMessage) => void = () => {};
  onOutput: (stream: 'stdout' | 'stderr', line: string) => void = () => {};
  /** Every message the host sent, in order. */
  readonly sent: HostMessage[] = [];
  /** Hold `loaded` until `finishLoad()` (a slow start). */
  holdLoad = false;
  deprioritized = false;
  reprioritized = 0;
  memory: number | undefined;
  private resolveExit!: (info: ExitInfo) => void;
  private loadPending = false;

  private readonly neverUp: boolean;

  /** `ready`: when the process counts as started (default: at once); `'never'`: it does not come up (see failBoot). */
  constructor(
    readonly memoryMb = 128,
    ready: Promise<void> | 'never' = Promise.resolve(),
  ) {
    this.neverUp = ready === 'never';
    this.ready = ready === 'never' ? new Promise<void>(() => {}) : ready;
    this.exited = new Promise((r) => (this.resolveExit = r));
  }

  /** Invocations sent and not answered yet. */
  get open(): string[] {
    const answered = new Set(this.answered);
    return this.sent.flatMap((m) => ((m.t === 'http' || m.t === 'event') && !answered.has(m.id) ? [m.id] : []));
  }

  private readonly answered: string[] = [];

  send(message: HostMessage): void {
    if (!this.isAlive) return;
    this.sent.push(message);
    if (message.t === 'load') {
      // A process that never came up has no shim to load anything.
      if (this.neverUp) return;
      if (this.holdLoad) this.loadPending = true;
      else queueMicrotask(() => this.onMessage({ t: 'loaded', initMs: 1, style: 'web' }));
    }
  }

  finishLoad(): void {
    if (!this.loadPending) return;
    this.loadPending = false;
    this.onMessage({ t: 'loaded', initMs: 1, style: 'web' });
  }

  /** Answer an invocation: `ms` it ran inside, `cpu` of that computing (defaults: a fast CPU-bound answer). */
  answer(id: string, timing: { ms?: number; cpu?: number } = {}): void {
    this.answered.push(id);
    this.onMessage({ t: 'done', id, res: { status: 200, headers: [], body: 'ok', b64: false }, rss: 0, ms: timing.ms ?? 0.05, cpu: timing.cpu ?? 0.05 });
  }

  /** Answer every open invocation as one that slept `ms` (waiting, no CPU). */
  answerAllAsWaiting(ms: number): void {
    for (const id of this.open) this.answer(id, { ms, cpu: 0.01 });
  }

  kill(reason: KillReason): void {
    this.exit(reason);
  }

  async stop(): Promise<ExitInfo> {
    this.exit('retired');
    return this.exited;
  }

  killSync(): void {
    this.exit('shutdown');
  }

  rss(): number | undefined {
    return this.memory;
  }

  deprioritize(): void {
    this.deprioritized = true;
  }

  reprioritize(): void {
    if (this.deprioritized) this.reprioritized++;
    this.deprioritized = false;
  }

  /** Exited on its own before it came up, as a launcher that fails does (`ready` never resolves: see FakeSandboxes.booting). */
  failBoot(stderrTail: string): void {
    if (!this.isAlive) return;
    this.isAlive = false;
    this.resolveExit({ code: 1, signal: null, killedFor: null, oom: false, stderrTail });
  }

  /** Killed by the host for breaking the protocol (what SandboxProcess reports). */
  exitWith(info: { violation: string }): void {
    if (!this.isAlive) return;
    this.isAlive = false;
    this.resolveExit({ code: null, signal: 'SIGKILL', killedFor: 'protocol', oom: false, stderrTail: '', violation: info.violation });
  }

  private exit(reason: KillReason): void {
    if (!this.isAlive) return;
    this.isAlive = false;
    this.resolveExit({ code: null, signal: 'SIGKILL', killedFor: reason, oom: reason === 'oom', stderrTail: '' });
  }
}

/** The warm pool as the runtime sees it: `ready` processes to take now, acquisitions the test delivers. */
export class FakeSandboxes implements Pick<WarmPool, 'take' | 'acquire' | 'want' | 'tick'> {
  /** Processes a take gets at once (then the pool is "dry"). */
  ready = 0;
  readonly all: FakeTransport[] = [];
  readonly waiting: { resolve(p: FakeTransport | undefined): void; cancelled: boolean; error?: Error }[] = [];
  cancelled = 0;
  /** The next this-many processes made do not come up (no `ready`) until they exit (`failBoot`). */
  booting = 0;

  take(memoryMb: number): SandboxTransport | undefined {
    if (this.ready <= 0) return undefined;
    this.ready--;
    return this.make(memoryMb);
  }

  acquire(memoryMb: number): Acquisition {
    let resolve!: (p: FakeTransport | undefined) => void;
    const process = new Promise<FakeTransport | undefined>((r) => (resolve = r));
    const entry: (typeof this.waiting)[number] = { resolve: (p: FakeTransport | undefined) => resolve(entry.error ? undefined : (p ?? this.make(memoryMb))), cancelled: false };
    this.waiting.push(entry);
    return {
      process,
      get error() {
        return entry.error;
      },
      cancel: () => {
        if (entry.cancelled) return;
        entry.cancelled = true;
        this.cancelled++;
        this.waiting.splice(this.waiting.indexOf(entry), 1);
        resolve(undefined);
      },
    };
  }

  /** Acquisitions still waiting for a process. */
  get pending(): number {
    return this.waiting.length;
  }

  /** Hand processes to the oldest `n` acquisitions (a spawn finished). */
  deliver(n = 1): void {
    for (const w of this.waiting.splice(0, n)) w.resolve(undefined);
  }

  /** Fail the oldest `n` acquisitions as a spawn does when out of descriptors. */
  fail(n = 1, error = new Error('spawn EMFILE')): void {
    for (const w of this.waiting.splice(0, n)) {
      w.error = error;
      w.resolve(undefined);
    }
  }

  want(): void {}
  tick(): void {}

  private make(memoryMb: number): FakeTransport {
    const neverUp = this.booting > 0;
    if (neverUp) this.booting--;
    const t = new FakeTransport(memoryMb, neverUp ? 'never' : undefined);
    this.all.push(t);
    return t;
  }
}
