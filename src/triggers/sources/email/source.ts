/**
 * Inbound email: the SMTP listener (server.ts) routes each envelope recipient to the function
 * whose `email:` trigger claims it (exact address first, then `*@domain`), and a message is
 * answered 250 only once one event per routed recipient is committed in the durable queue, so
 * it is then delivered with retries and dead letters like every other event.
 *
 * The raw message travels in the event's payload (base64, beside the parsed body): at the 10 MB
 * default limit an event is ~27 MB of JSON (raw + decoded parts), which SQLite stores and the
 * sandbox channel carries (host → sandbox frames have no cap; the 10 MB cap is on frames from
 * the sandbox). The limit is configurable, not unlimited, for that reason.
 */
import type { EmailTrigger, FunctionVersion } from '../../../domain/index.js';
import type { EventSink } from '../../../queue/service.js';
import type { Clock } from '../../../shared/clock.js';
import { eventFor } from '../../events.js';
import type { TriggerSource } from '../port.js';
import { EmailRoutes } from './address.js';
import { parseEmail, type Envelope } from './message.js';
import { SMTP_DEFAULTS, SmtpListener, type SmtpLimits } from './server.js';

export interface EmailSourceOptions {
  queue: EventSink;
  clock: Clock;
  host: string;
  /** 0 = any free port (see `port()` once started). */
  port: number;
  limits?: Partial<SmtpLimits>;
  log: (line: string) => void;
}

interface Target {
  fn: FunctionVersion;
  trigger: EmailTrigger;
}

export interface EmailSource extends TriggerSource {
  /** The bound port, once started. */
  port(): number | undefined;
  /** Whether mail for this envelope recipient is taken (what RCPT TO answers 250 to). */
  accepts(recipient: string): boolean;
}

export function emailSource(o: EmailSourceOptions): EmailSource {
  let routes = new EmailRoutes<Target>();
  let bound: number | undefined;
  let closed = false;
  const accept = async (raw: Buffer, envelope: Envelope): Promise<void> => {
    const now = o.clock.now();
    const parsed = await parseEmail(raw, envelope, new Date(now)).catch((err: unknown) => {
      throw Object.assign(new Error(`the message could not be parsed: ${(err as Error).message}`), { responseCode: 554 });
    });
    // One event per routed recipient (as Email Workers: `message.to` is one address); the routes
    // may have changed since RCPT TO, so they are read again.
    const events = [...new Set(envelope.to.map((r) => r.toLowerCase()))].flatMap((to) => {
      const target = routes.match(to);
      if (!target) return [];
      // A client that resends after a lost 250 (same Message-ID) is not delivered twice (24 h).
      const idempotencyKey = parsed.commonHeaders.messageId ? `email:${parsed.commonHeaders.messageId}:${to}` : undefined;
      return [eventFor(target.fn, { source: 'email', shape: 'email', origin: to, payload: { ...parsed, to }, ...(idempotencyKey ? { idempotencyKey } : {}) }, now)];
    });
    if (events.length === 0) throw Object.assign(new Error('no recipient of this message has a mailbox here any more'), { responseCode: 550 });
    await o.queue.enqueue(events);
  };
  const listener = new SmtpListener({ limits: { ...SMTP_DEFAULTS, ...o.limits }, route: (r) => routes.match(r) !== undefined, accept, log: o.log });
  return {
    name: 'email',
    kinds: ['email'],
    async start() {
      if (closed || bound !== undefined) return;
      bound = await listener.listen(o.port, o.host);
    },
    setFunctions(functions) {
      const next = new EmailRoutes<Target>();
      const sorted = [...functions].sort((a, b) => (a.app === b.app ? cmp(a.name, b.name) : cmp(a.app, b.app)));
      for (const fn of sorted) for (const trigger of fn.config.triggers) if (trigger.type === 'email') next.add(trigger.address, { fn, trigger });
      routes = next;
    },
    close() {
      closed = true;
      return listener.close();
    },
    port: () => bound,
    accepts: (recipient) => routes.match(recipient) !== undefined,
  };
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
