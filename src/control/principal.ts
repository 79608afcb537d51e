import type { Scope } from '../domain/index.js';

/** Who called: a stored API key, or the admin key of `admin.key`. */
export interface Principal {
  id: string;
  /** The prefix shown in audit entries (`admin.key` for the admin key). */
  name: string;
  scope: Scope;
  /** Limited to these apps; empty = every app. */
  apps: string[];
}
