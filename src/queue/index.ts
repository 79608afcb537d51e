/** Public surface of the event queue: the port, its adapters, the service other subsystems call, the dispatcher. */
export type { DeadEvent, DueTarget, EnqueueResult, EventQueue, EventShape, EventSource, EventTarget, NewEvent, QueuedEvent } from './port.js';
export { DUE_COUNT_CAP, MAX_HOPS } from './port.js';
export { SqliteEventQueue, type SqliteEventQueueOptions } from './sqlite.js';
export { MemoryEventQueue } from './memory.js';
export { EventService, type EventSink, type EventSpec, type EventServiceOptions, type FunctionLookup } from './service.js';
export { EventDispatcher, type DispatcherRuntime, type EventDispatcherOptions } from './dispatcher.js';
export { calculateDelay, DEFAULT_BACKOFF, type BackoffOptions } from './backoff.js';
export { destinationRecord, type DestinationRecord, type DestinationCondition } from './destinations.js';
export { IDEMPOTENCY_TTL_MS } from './rules.js';
export { unwrapMessage, type MessageAttributes } from './message.js';
export { PgEventQueue, type PgEventQueueOptions } from './pg/queue.js';
