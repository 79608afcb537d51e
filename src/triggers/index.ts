/** Public surface of triggers: schedules, topics and the ownership of named resources. */
export type { EventCause, PublishOptions, TopicPublisher } from './port.js';
export { messageAttributesSchema, parseAttributes } from './attributes.js';
export { Scheduler, systemTimers, scheduleKey, CATCH_UP_CAP } from './scheduler.js';
export type { SchedulerOptions, Timers } from './scheduler.js';
export { SqliteScheduleState, MemoryScheduleState } from './schedule-state.js';
export { PgScheduleState, type PgScheduleStateOptions } from './schedule-state-pg.js';
export type { ScheduleState } from './schedule-state.js';
export { slotsOf } from './slots.js';
export type { Slots } from './slots.js';
export { Topics, MAX_BATCH_MESSAGES } from './topics.js';
export type { TopicsOptions } from './topics.js';
export { Resources, checkResourceConflicts, resourcesOf } from './resources.js';
export type { DeployInput, ResourceEntry, ResourceKind, ResourceName, Subscription } from './resources.js';
export { eventFor } from './events.js';
export type { EventSpec } from './events.js';
export { emailSource, httpSource, resourcesSource, scheduleSource, SMTP_DEFAULTS, TRIGGER_KIND_SPECS } from './sources/index.js';
export type { EmailSource, SmtpLimits, TriggerKindSpec, TriggerSource } from './sources/index.js';
