/**
 * The sandbox side of binding calls: `env.SESSIONS.get('k')` becomes a `call` message to the host
 * and waits for the `reply` with the same `cid`. The host, not this code, decides what is allowed:
 * anything here can be forged by the function, so it only makes the honest path convenient.
 */
import { currentInvocation } from './capture.js';
import type { BindingFailure, HostMessage, SandboxMessage } from './protocol.js';
import { MAX_PART_CHARS } from './protocol.js';

type Reply = Extract<HostMessage, { t: 'reply' }>;

/** What a binding call rejects with: `code` is the host's (BINDING_NOT_GRANTED, VALUE_TOO_LARGE, …). */
export class NimbusBindingError extends Error {
  override readonly name = 'NimbusBindingError';
  readonly code: string;
  constructor(failure: BindingFailure) {
    super(failure.message);
    this.code = failure.code;
  }
}

export type CallBinding = (binding: string, op: string, args: unknown[], blob?: string) => Promise<unknown>;

export class RpcClient {
  private next = 0;
  private readonly waiting = new Map<number, { resolve(v: unknown): void; reject(e: unknown): void }>();

  constructor(private readonly send: (message: SandboxMessage) => void) {}

  /**
   * Call `op` on a binding. `blob` is a base64 body too big for one message, if any: it goes first
   * as `part` slices, which the host joins and hands to the call.
   */
  readonly call: CallBinding = (binding, op, args, blob) => {
    const cid = ++this.next;
    const inv = currentInvocation.getStore() ?? null;
    return new Promise((resolve, reject) => {
      this.waiting.set(cid, { resolve, reject });
      if (blob !== undefined) for (let i = 0; i < blob.length; i += MAX_PART_CHARS) this.send({ t: 'part', cid, data: blob.slice(i, i + MAX_PART_CHARS) });
      this.send({ t: 'call', cid, inv, binding, op, args });
    });
  };

  /** A reply from the host; one for a call this client did not make is ignored. */
  receive(reply: Reply): void {
    const entry = this.waiting.get(reply.cid);
    if (!entry) return;
    this.waiting.delete(reply.cid);
    if (reply.ok) entry.resolve(reply.value);
    else entry.reject(new NimbusBindingError(reply.error));
  }
}
