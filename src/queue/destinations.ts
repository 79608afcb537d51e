/**
 * Destinations, as Lambda's: after an async delivery succeeds (onSuccess) or is given up
 * (onFailure), a record of the original event and its outcome goes to another function of the
 * same app (an `invoke` event with source 'destination') or to a topic.
 */
import type { Destination, FunctionVersion } from '../domain/index.js';
import type { TopicPublisher } from '../triggers/port.js';
import type { QueuedEvent } from './port.js';
import type { EventService } from './service.js';

export type DestinationCondition = 'Success' | 'RetriesExhausted' | 'EventAgeExceeded';

export interface DestinationRecord {
  version: '1.0';
  timestamp: string;
  requestContext: { requestId: string; functionArn: string; condition: DestinationCondition; approximateInvokeCount: number };
  requestPayload: unknown;
  responsePayload: unknown;
}

export interface DestinationOutcome {
  fn: FunctionVersion;
  event: QueuedEvent;
  condition: DestinationCondition;
  /** The function's result, or `{ errorCode, errorMessage }`. */
  response: unknown;
  /** Deliveries that actually reached the function. */
  invokeCount: number;
}

export function destinationRecord(o: DestinationOutcome, now: number): DestinationRecord {
  return {
    version: '1.0',
    timestamp: new Date(now).toISOString(),
    requestContext: { requestId: o.event.id, functionArn: `${o.fn.app}/${o.fn.name}`, condition: o.condition, approximateInvokeCount: o.invokeCount },
    requestPayload: o.event.payload,
    responsePayload: o.response,
  };
}

export interface DestinationDeps {
  events: Pick<EventService, 'submit'>;
  publish?: TopicPublisher | undefined;
  log: (line: string) => void;
}

/** Where this outcome goes, if anywhere. A function never feeds its own destination events back to itself. */
function destinationOf(o: DestinationOutcome): Destination | null {
  const d = o.fn.config.destinations;
  const dest = (o.condition === 'Success' ? d?.onSuccess : d?.onFailure) ?? null;
  if (dest && 'function' in dest && dest.function === o.fn.name && o.event.source === 'destination') return null;
  return dest;
}

/** Send the record; failures are logged, never thrown: the event itself is settled either way. */
export async function sendToDestination(deps: DestinationDeps, o: DestinationOutcome, now: number): Promise<void> {
  const dest = destinationOf(o);
  if (dest === null) return;
  const record = destinationRecord(o, now);
  const from = `${o.fn.app}/${o.fn.name}`;
  // The record is caused by the invocation(s) of the event: one hop further down the chain.
  const hop = o.event.hop + 1;
  try {
    if ('function' in dest) {
      await deps.events.submit({ app: o.fn.app, function: dest.function }, { source: 'destination', shape: 'invoke', payload: record, origin: from, hop });
    } else if (deps.publish) {
      await deps.publish.publish(dest.topic, [record], { hop });
    } else {
      deps.log(`events: ${from}: ${o.condition} destination topic "${dest.topic}" skipped: topics are not available on this node`);
    }
  } catch (err) {
    const target = 'function' in dest ? `function ${o.fn.app}/${dest.function}` : `topic ${dest.topic}`;
    deps.log(`events: ${from}: could not send the ${o.condition} record of ${o.event.id} to ${target}: ${(err as Error).message}`);
  }
}
