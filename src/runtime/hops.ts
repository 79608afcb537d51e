/**
 * How deep in a chain of invocations an instance's work is, as the host sees it (loop detection:
 * queue/port.ts MAX_HOPS). A binding call that publishes or writes causes events one hop further.
 *
 * The sandbox names an invocation id on each call, but the sandbox writes that id, so it decides
 * nothing here: the cause of a call is what the host knows the instance is running.
 *   - while invocations are in flight: the deepest of them (exact at instanceConcurrency 1; with
 *     more, a call made beside a deep event counts as deep: conservative, never shallower);
 *   - between invocations: the deepest of the last busy period, because work left running after
 *     the response (an unawaited publish, a timer, waitUntil) is still caused by it.
 * An invocation starting on an instance with nothing in flight begins a new period at its own hop.
 * What this cannot see: state a function carries from a deep invocation into a later shallow one
 * (memory, KV) to act on then. That needs a fresh outside invocation for each laundering, so a
 * loop no longer feeds itself.
 */
export class HopContext {
  private inFlight = 0;
  private period = 0;

  /** An invocation at `hop` starts on the instance; call the returned function when it is answered. */
  enter(hop: number): () => void {
    this.period = this.inFlight === 0 ? hop : Math.max(this.period, hop);
    this.inFlight++;
    let left = false;
    return () => {
      if (left) return;
      left = true;
      this.inFlight--;
    };
  }

  /** The hop of the invocation(s) behind a binding call made now. */
  get current(): number {
    return this.period;
  }
}
