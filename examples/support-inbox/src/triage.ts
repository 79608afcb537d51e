// Lambda style: topic messages arrive as SQS-like records whose body is the published JSON.
import type { SQSEvent } from 'nimbus/types';

export async function handler(event: SQSEvent): Promise<void> {
  for (const record of event.Records) {
    const ticket = JSON.parse(record.body) as { key: string; from: string; subject: string };
    const urgent = /urgent|asap|down/i.test(ticket.subject);
    console.log(`${urgent ? 'URGENT ' : ''}ticket ${ticket.key} from ${ticket.from}: ${ticket.subject}`);
  }
}
