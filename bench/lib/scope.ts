/**
 * Cleanup for everything a bench run starts. A Scope collects async disposers and runs them in
 * reverse order on close(). Separately, `onEmergency` registers a synchronous last resort (SIGKILL a
 * process group, rm a temp dir) that runs if the run is interrupted (Ctrl-C, SIGTERM, a crash),
 * when there is no time left for graceful shutdown.
 */

type Disposer = () => Promise<void> | void;

export class Scope {
  readonly #stack: Disposer[] = [];
  #closed = false;

  /** Run `fn` when the scope closes (last deferred runs first). */
  defer(fn: Disposer): void {
    if (this.#closed) throw new Error('scope already closed');
    this.#stack.push(fn);
  }

  async close(): Promise<void> {
    this.#closed = true;
    for (let fn = this.#stack.pop(); fn !== undefined; fn = this.#stack.pop()) {
      try {
        await fn();
      } catch (err) {
        process.stderr.write(`bench: cleanup step failed: ${String(err)}\n`);
      }
    }
  }
}

/** Run `body` with a fresh scope that is always closed afterwards. */
export async function withScope<T>(body: (scope: Scope) => Promise<T>): Promise<T> {
  const scope = new Scope();
  try {
    return await body(scope);
  } finally {
    await scope.close();
  }
}

const emergency = new Set<() => void>();
let installed = false;

/** Register a synchronous last-resort cleanup; returns its unregister function. */
export function onEmergency(fn: () => void): () => void {
  installHandlers();
  emergency.add(fn);
  return () => emergency.delete(fn);
}

function runEmergency(): void {
  for (const fn of [...emergency].reverse()) {
    try {
      fn();
    } catch {
      // Best effort: keep going so one stuck resource does not leave the others behind.
    }
  }
  emergency.clear();
}

function installHandlers(): void {
  if (installed) return;
  installed = true;
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.once(signal, () => {
      process.stderr.write(`\nbench: ${signal}, stopping every process the bench started\n`);
      runEmergency();
      process.exit(130);
    });
  }
  process.once('uncaughtException', (err) => {
    process.stderr.write(`bench: uncaught exception: ${err.stack ?? String(err)}\n`);
    runEmergency();
    process.exit(1);
  });
  process.once('exit', runEmergency);
}
