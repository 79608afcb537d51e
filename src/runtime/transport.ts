/**
 * The port between the runtime and one sandboxed process: how the host starts it, talks to it and
 * ends it. `SandboxProcess` is the real implementation (a spawned, isolated Node process talking
 * NDJSON over fd 3); `FakeTransport` (fake-transport.ts) is the one the scheduler's unit tests
 * drive by hand. Nothing above this interface knows which one it has.
 */
import type { HostMessage, SandboxMessage } from '../sandbox/protocol.js';

/** Why the host killed the process, if it did. */
export type KillReason = 'timeout' | 'oom' | 'protocol' | 'init-timeout' | 'shutdown' | 'retired';

export interface ExitInfo {
  code: number | null;
  signal: NodeJS.Signals | null;
  killedFor: KillReason | null;
  /** V8 reported heap exhaustion, or the host's RSS watch killed it. */
  oom: boolean;
  stderrTail: string;
  /** Killed for breaking the sandbox protocol: what it sent (the first violation). */
  violation?: string;
}

export interface SandboxTransport {
  /** OS process id (-1 when there is none). */
  readonly pid: number;
  /** The V8 heap limit it was started with: a process serves only functions of this size. */
  readonly memoryMb: number;
  /** Resolves once the process is up and warmed; rejects if it dies first. */
  readonly ready: Promise<void>;
  /** Resolves once the process is gone, with how it ended. */
  readonly exited: Promise<ExitInfo>;
  readonly isAlive: boolean;
  /** RSS in bytes right after warm-up: the runtime's own share, not charged to the function. */
  readonly baselineRss: number;
  onMessage: (message: SandboxMessage) => void;
  onOutput: (stream: 'stdout' | 'stderr', line: string) => void;
  send(message: HostMessage): void;
  /** Kill now; the reason decides how in-flight invocations are reported. */
  kill(reason: KillReason): void;
  /** Ask the process to exit, kill it after `graceMs`. */
  stop(graceMs?: number): Promise<ExitInfo>;
  /** Synchronous last resort at host exit: no orphans, no temp dirs. */
  killSync(): void;
  /** Resident memory now, bytes; undefined when it cannot be read. */
  rss(): number | undefined;
  /** Lower the CPU priority (a long invocation must not slow everyone else). */
  deprioritize(): void;
  /** Back to normal priority (it went idle). */
  reprioritize(): void;
  /** A host pid inside the sandbox's own network namespace (`/proc/<pid>/ns/net`); undefined when it shares the host's. */
  readonly netnsPid?: number;
  /** Host folder seen read-only at `/run/nimbus` inside the sandbox (the node puts forwarder sockets there); undefined without a mount namespace. */
  readonly runDir?: string;
}

/** Start a sandbox process of this memory size (its `ready` resolves when it is warm). */
export type SpawnSandbox = (memoryMb: number) => SandboxTransport;
