/**
 * Every trigger kind, in the order the manifest lists them. Pure data (no server code), so the
 * manifest schema and the resource checks can read it.
 */
import type { Trigger } from '../../domain/index.js';
import { bucketKind } from './bucket/kind.js';
import { emailKind } from './email/kind.js';
import { httpKind } from './http/kind.js';
import type { OwnedName, TriggerKindSpec } from './port.js';
import { scheduleKind } from './schedule/kind.js';
import { topicKind } from './topic/kind.js';
import { webhookKind } from './webhook/kind.js';

type KindTable = { [K in Trigger['type']]: TriggerKindSpec<Extract<Trigger, { type: K }>> };

/** Keyed by trigger type; `satisfies` makes a missing kind a compile error. */
const KINDS = { http: httpKind, schedule: scheduleKind, topic: topicKind, webhook: webhookKind, bucket: bucketKind, email: emailKind } satisfies KindTable;

export const TRIGGER_KIND_SPECS: readonly TriggerKindSpec[] = Object.values(KINDS);

/** The names one trigger owns, as its kind declares them. */
export function ownedBy(trigger: Trigger): OwnedName[] {
  const spec = KINDS[trigger.type] as TriggerKindSpec;
  return spec.owns?.(trigger) ?? [];
}
