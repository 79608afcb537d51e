export { Runtime, type RuntimeOptions, type InvokeMeta, type InvocationOutcome, type Cancellation, type ScalingOptions } from './runtime.js';
export { WarmPool, type WarmPoolOptions } from './pool.js';
export { SpawnBudget } from './spawn-budget.js';
export { CpuMeter } from './cpu-meter.js';
export { SandboxProcess, type SandboxSpawnOptions } from './sandbox-process.js';
export type { SandboxTransport, SpawnSandbox, ExitInfo, KillReason } from './transport.js';
export type { InvocationInput, InvokeResult } from './instance.js';
export { defaultMinInstancesPerApp } from './min-instances.js';
export type { Confine, Confinement, ConfineRequest, NodeCommandPaths } from './confinement.js';
