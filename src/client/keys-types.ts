/**
 * Wire shapes of the key and audit endpoints, inferred from the zod schemas the server validates
 * and documents them with (control/schemas.ts): one declaration, no copy to drift.
 */
import type { AuditEntryView, CreatedKey, CreateKeyInput, KeyView } from '../control/schemas.js';

export type { AuditEntryView, CreatedKey, CreateKeyInput, KeyView };

export interface AuditQuery {
  app?: string;
  /** Epoch ms or an ISO 8601 time. */
  since?: number | string;
  limit?: number;
}
