export { Runtime, type RuntimeOptions, type InvokeMeta, type InvocationOutcome } from './runtime.js';
export { WarmPool, type WarmPoolOptions } from './pool.js';
export { SandboxProcess, type SandboxSpawnOptions } from './sandbox-process.js';
export { UidAllocator } from './uids.js';
export type { InvocationInput, InvokeResult } from './instance.js';
