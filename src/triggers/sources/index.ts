/** Public surface of the trigger sources (see port.ts for the seam). */
export type { OwnedName, ResourceKind, StageRename, TriggerKindSpec, TriggerSource } from './port.js';
export { TRIGGER_KIND_SPECS, ownedBy, routeOf, stagedTrigger, triggerLabel } from './kinds.js';
export { httpSource } from './http/source.js';
export { scheduleSource } from './schedule/source.js';
export { resourcesSource } from './topic/source.js';
export { emailSource } from './email/source.js';
export type { EmailSource, EmailSourceOptions } from './email/source.js';
export { SMTP_DEFAULTS } from './email/server.js';
export type { SmtpLimits } from './email/server.js';
