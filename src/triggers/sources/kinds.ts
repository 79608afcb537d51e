/**
 * Every trigger kind, in the order the manifest lists them. Pure data (no server code), so the
 * manifest schema and the resource checks can read it.
 */
import type { Trigger } from '../../domain/index.js';
import { bucketKind } from './bucket/kind.js';
import { emailKind } from './email/kind.js';
import { httpKind } from './http/kind.js';
import type { OwnedName, StageRename, TriggerKindSpec } from './port.js';
import { scheduleKind } from './schedule/kind.js';
import { topicKind } from './topic/kind.js';
import { webhookKind } from './webhook/kind.js';

type KindTable = { [K in Trigger['type']]: TriggerKindSpec<Extract<Trigger, { type: K }>> };

/** Keyed by trigger type; `satisfies` makes a missing kind a compile error. */
const KINDS = { http: httpKind, schedule: scheduleKind, topic: topicKind, webhook: webhookKind, bucket: bucketKind, email: emailKind } satisfies KindTable;

export const TRIGGER_KIND_SPECS: readonly TriggerKindSpec[] = Object.values(KINDS);

/** The spec of a trigger's kind; undefined for a type this build does not know (a newer server's). */
function specOf(trigger: Trigger): TriggerKindSpec | undefined {
  return Object.hasOwn(KINDS, trigger.type) ? KINDS[trigger.type] : undefined;
}

/** The names one trigger owns, as its kind declares them. */
export function ownedBy(trigger: Trigger): OwnedName[] {
  return specOf(trigger)?.owns?.(trigger) ?? [];
}

/** The route one trigger claims (http, webhook), if any. */
export function routeOf(trigger: Trigger): { method: string; path: string; declared: string } | undefined {
  return specOf(trigger)?.route?.(trigger);
}

/** The trigger as a stage copy has it. */
export function stagedTrigger(trigger: Trigger, rename: StageRename): Trigger {
  return specOf(trigger)?.staged?.(trigger, rename) ?? trigger;
}

/** How `nimbus ls` lists a trigger that is not a route; undefined for routes and unknown kinds. */
export function triggerLabel(trigger: Trigger): string | undefined {
  return specOf(trigger)?.label?.(trigger);
}
