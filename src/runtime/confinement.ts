/**
 * The port between `SandboxProcess` and the OS isolation around it (src/isolation/ implements it
 * with bubblewrap and cgroups; the composition root picks it). Without one, a sandbox process is
 * spawned as before: Node's permission model, an empty environment and, as root, its own uid.
 *
 * The life of a confinement: made before the spawn (cgroup created, run dir made), `started`
 * with the spawned pid, `busy`/`idle` as invocations come and go (idle CPU control), `kill` with
 * the process, and `dispose` once it has exited: it resolves only when nothing of the sandbox can
 * still run (its cgroup empty and removed), so its uid may then be handed out again.
 */
export interface Confinement {
  /** What to spawn: a launcher whose last arguments are the node command built by `nodeCommand`. */
  readonly command: string;
  readonly args: string[];
  readonly cwd: string;
  readonly env: Record<string, string>;
  /** Host folder seen read-only at `/run/nimbus` inside (undefined without a mount namespace). */
  readonly runDir?: string;
  /** The spawned pid is known. */
  started(pid: number): void;
  /** A host pid inside the sandbox's own network namespace, undefined when it shares the host's. */
  netnsPid(): number | undefined;
  /** The host pid of the node process inside (the spawned pid is a launcher when namespaces are on). */
  innerPid(): number | undefined;
  /** An invocation (or the load) was handed to it. */
  busy(): void;
  /** Nothing runs in it any more (idle CPU control may apply after a short delay). */
  idle(): void;
  /** Lower (or restore) its CPU share; false when it cannot (the caller falls back to nice). */
  lowerCpu(low: boolean): boolean;
  /** The kernel's OOM killer ended it. */
  oomKilled(): boolean;
  /** SIGKILL everything of it now. */
  kill(): void;
  /** After exit: resolves once nothing of it may still run and everything it made is removed. */
  dispose(): Promise<void>;
  /** Synchronous last resort at host exit. */
  disposeSync(): void;
}

/** The node command as the sandbox sees it: paths inside its mount namespace (or the host's without one). */
export interface NodeCommandPaths {
  shimPath: string;
  shimDir: string;
  tmpDir: string;
}

export interface ConfineRequest {
  memoryMb: number;
  /** Size of its private /tmp, MB (the function's ephemeralStorage). */
  ephemeralMb?: number;
  /** Host path of the compiled shim entry. */
  shimPath: string;
  /** Run as this uid/gid, or undefined to keep the host's. */
  uid?: number;
  /** Builds the node argv (executable first) for the given paths. */
  nodeCommand: (paths: NodeCommandPaths) => string[];
}

export type Confine = (request: ConfineRequest) => Confinement;
