/**
 * The SMTP listener (smtp-server): the protocol, its limits and its answers. What a recipient
 * routes to and what "accepted" means are the caller's (`route`, `accept`), so the rules stay in
 * one place:
 *   RCPT TO an address no trigger claims       550 (at once: the sender's MTA bounces it)
 *   more than maxRecipients RCPT TO             452
 *   SIZE= over the limit at MAIL FROM           552 (SIZE is announced in EHLO)
 *   more bytes than the limit while streaming   552 (bytes past the limit are not kept)
 *   more than maxMessagesPerConnection          421 at MAIL FROM
 *   more than maxConnections at once            421 at connect
 *   `accept` resolved (the events committed)    250 — never before
 *   `accept` failed                             451 (temporary: the sender retries)
 * No AUTH and no STARTTLS: it is meant for loopback or a trusted relay in front of it.
 */
import type { Server } from 'node:net';
import { SMTPServer, type SMTPServerDataStream, type SMTPServerSession } from 'smtp-server';
import type { Envelope } from './message.js';

export interface SmtpLimits {
  /** Bytes of one message (the DATA), default 10 MB. */
  maxMessageBytes: number;
  /** Connections open at once, default 100. */
  maxConnections: number;
  /** Messages one connection may send, default 100. */
  maxMessagesPerConnection: number;
  /** Recipients of one message, default 100. */
  maxRecipients: number;
  /** Idle time before a connection is closed, ms, default 60 s. */
  socketTimeoutMs: number;
}

export const SMTP_DEFAULTS: SmtpLimits = { maxMessageBytes: 10 * 1024 * 1024, maxConnections: 100, maxMessagesPerConnection: 100, maxRecipients: 100, socketTimeoutMs: 60_000 };

export interface SmtpServerOptions {
  limits: SmtpLimits;
  /** Whether some function takes mail for this envelope recipient. */
  route(recipient: string): boolean;
  /** Make the message durable (or throw); the client gets 250 only once this resolves. */
  accept(raw: Buffer, envelope: Envelope): Promise<void>;
  log(line: string): void;
}

/** An SMTP reply with a code (smtp-server reads `responseCode`). */
function reply(code: number, message: string): Error {
  return Object.assign(new Error(message), { responseCode: code });
}

export class SmtpListener {
  private readonly server: SMTPServer;
  private readonly messages = new Map<string, number>();
  private closing: Promise<void> | undefined;

  constructor(private readonly o: SmtpServerOptions) {
    const { limits } = o;
    this.server = new SMTPServer({
      banner: 'Nimbus',
      size: limits.maxMessageBytes,
      maxClients: limits.maxConnections,
      authOptional: true,
      disabledCommands: ['AUTH', 'STARTTLS'],
      disableReverseLookup: true,
      socketTimeout: limits.socketTimeoutMs,
      closeTimeout: 2_000,
      logger: false,
      onMailFrom: (_address, session, callback) => {
        const n = (this.messages.get(session.id) ?? 0) + 1;
        this.messages.set(session.id, n);
        if (n > limits.maxMessagesPerConnection) return callback(reply(421, `too many messages on one connection (limit ${limits.maxMessagesPerConnection}): reconnect`));
        callback();
      },
      onRcptTo: (address, session, callback) => {
        if (session.envelope.rcptTo.length >= limits.maxRecipients) return callback(reply(452, `too many recipients (limit ${limits.maxRecipients})`));
        if (!o.route(address.address)) return callback(reply(550, `no mailbox here for <${address.address}>`));
        callback();
      },
      onData: (stream, session, callback) => this.onData(stream, session, callback),
      onClose: (session) => this.messages.delete(session.id),
    });
    this.server.on('error', (err) => o.log(`smtp: ${err.message}`));
  }

  /** Listen; resolves with the bound port. */
  listen(port: number, host: string): Promise<number> {
    return new Promise((resolve, reject) => {
      const net = this.server.server as Server;
      const onError = (err: Error) => reject(err);
      net.once('error', onError);
      this.server.listen(port, host, () => {
        net.off('error', onError);
        const address = net.address();
        resolve(typeof address === 'object' && address ? address.port : port);
      });
    });
  }

  close(): Promise<void> {
    return (this.closing ??= new Promise((resolve) => {
      if (!(this.server.server as Server).listening) return resolve();
      this.server.close(() => resolve());
    }));
  }

  private onData(stream: SMTPServerDataStream, session: SMTPServerSession, callback: (err?: Error | null) => void): void {
    const { maxMessageBytes } = this.o.limits;
    const chunks: Buffer[] = [];
    let bytes = 0;
    stream.on('data', (chunk: Buffer) => {
      bytes += chunk.length;
      // Past the limit nothing more is kept: the answer will be 552 whatever follows.
      if (bytes <= maxMessageBytes) chunks.push(chunk);
    });
    stream.on('error', (err) => callback(err));
    stream.on('end', () => {
      if (stream.sizeExceeded || bytes > maxMessageBytes) return callback(reply(552, `message exceeds the fixed maximum message size of ${maxMessageBytes} bytes`));
      const envelope: Envelope = {
        from: session.envelope.mailFrom === false ? '' : session.envelope.mailFrom.address,
        to: session.envelope.rcptTo.map((r) => r.address),
      };
      this.o.accept(Buffer.concat(chunks, bytes), envelope).then(
        () => callback(),
        (err: unknown) => {
          const e = err as Error & { responseCode?: number };
          if (e.responseCode === undefined) this.o.log(`smtp: a message from <${envelope.from}> could not be queued: ${e.message}`);
          callback(e.responseCode === undefined ? reply(451, 'the message could not be queued; try again later') : e);
        },
      );
    });
  }
}
