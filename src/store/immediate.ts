/**
 * Write transactions on a database file several connections share start with BEGIN IMMEDIATE: a
 * deferred transaction that reads before it writes fails at once with SQLITE_BUSY ("database is
 * locked", the busy timeout is not applied) when another connection committed in between, whereas
 * an immediate one takes the write lock first and waits its turn under `busy_timeout`.
 */
/** `tx.immediate` as a plain function (the method itself must not be detached from `tx`). */
export function immediate<A extends unknown[], R>(tx: { immediate(...args: A): R }): (...args: A) => R {
  return (...args) => tx.immediate(...args);
}
