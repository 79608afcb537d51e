/**
 * Defaults of a function's settings: what the manifest fills in when neither the function nor
 * `defaults` sets a value, and what configs stored before a setting existed are read as.
 */
import type { FunctionConfig } from './types.js';

/** Built-in values of the scalar settings. */
export const FUNCTION_DEFAULTS = {
  memory: 128,
  timeout: 3,
  concurrency: null,
  instanceConcurrency: 1,
  minInstances: 0,
  idleTimeout: 300,
  maxQueueWait: 0.5,
  retries: 2,
  maxEventAge: 21600,
} as const satisfies Omit<FunctionConfig, 'handler' | 'env' | 'triggers' | 'destinations' | 'bindings'>;

/** What a webhook trigger without `deliveryHeader` / `tolerance` uses (the manifest and the gateway read these). */
export const WEBHOOK_DEFAULTS = {
  deliveryHeader: 'x-github-delivery',
  tolerance: 300,
  /** The most `tolerance` may be: the queue's idempotency window (24 h), so a replay is either deduped or too old. */
  maxTolerance: 86_400,
} as const;

/**
 * A complete FunctionConfig from one that may lack fields added later (retries, maxEventAge,
 * destinations, bindings were added with events), so old data dirs keep working.
 * @example withConfigDefaults(JSON.parse(row.config)).retries // 2 for a config stored before retries existed
 */
export function withConfigDefaults(config: Partial<FunctionConfig> & Pick<FunctionConfig, 'handler'>): FunctionConfig {
  const d = FUNCTION_DEFAULTS;
  return {
    handler: config.handler,
    memory: config.memory ?? d.memory,
    ...(config.ephemeralStorage === undefined ? {} : { ephemeralStorage: config.ephemeralStorage }),
    timeout: config.timeout ?? d.timeout,
    // null is a real value here ("no limit"), so only a missing key takes the default.
    concurrency: config.concurrency === undefined ? d.concurrency : config.concurrency,
    instanceConcurrency: config.instanceConcurrency ?? d.instanceConcurrency,
    minInstances: config.minInstances ?? d.minInstances,
    idleTimeout: config.idleTimeout ?? d.idleTimeout,
    maxQueueWait: config.maxQueueWait ?? d.maxQueueWait,
    env: config.env ?? {},
    ...(config.secrets ? { secrets: config.secrets } : {}),
    triggers: config.triggers ?? [],
    retries: config.retries ?? d.retries,
    maxEventAge: config.maxEventAge ?? d.maxEventAge,
    destinations: {
      onSuccess: config.destinations?.onSuccess ?? null,
      onFailure: config.destinations?.onFailure ?? null,
    },
    bindings: config.bindings ?? {},
    // Only when set, so configs without it keep their version hash.
    ...(config.network ? { network: config.network } : {}),
    // Only when the app claims a host or base path: default-namespace versions keep their hash.
    ...(config.routes ? { routes: config.routes } : {}),
    ...(config.stage !== undefined ? { stage: config.stage } : {}),
    ...(config.shared ? { shared: config.shared } : {}),
  };
}

/** Size of a function's private /tmp when its config does not say, MB (as Lambda's /tmp). */
export const DEFAULT_EPHEMERAL_MB = 512;

/**
 * The warm pool's key for a function: sandbox processes differ by V8 heap (memory) and /tmp size,
 * both fixed at spawn. The default /tmp keeps the key equal to the memory size; another size gets
 * its own key (`memory + ephemeralStorage × 8192`), decoded by `sandboxShape`.
 */
export function sandboxSize(config: Pick<FunctionConfig, 'memory' | 'ephemeralStorage'>): number {
  const tmp = config.ephemeralStorage ?? DEFAULT_EPHEMERAL_MB;
  return tmp === DEFAULT_EPHEMERAL_MB ? config.memory : config.memory + tmp * 8192;
}

/** The memory and /tmp sizes of a pool key (see sandboxSize). */
export function sandboxShape(size: number): { memoryMb: number; ephemeralMb: number } {
  const tmp = Math.floor(size / 8192);
  return { memoryMb: size % 8192, ephemeralMb: tmp === 0 ? DEFAULT_EPHEMERAL_MB : tmp };
}
