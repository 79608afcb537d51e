/** Test helpers for MANIFEST_INVALID errors (used by the manifest tests, not exported). */
import { strict as assert } from 'node:assert';
import { NimbusError } from '../shared/errors.js';
import type { ManifestIssue } from './issues.js';

export interface CaughtManifestError {
  error: NimbusError;
  issues: ManifestIssue[];
}

/** Runs `fn`, asserts it throws MANIFEST_INVALID, and returns the error and its issues. */
export async function catchManifestError(fn: () => unknown): Promise<CaughtManifestError> {
  let thrown: unknown;
  try {
    await fn();
  } catch (err) {
    thrown = err;
  }
  if (!(thrown instanceof NimbusError)) {
    return assert.fail(`expected a MANIFEST_INVALID NimbusError, got ${String(thrown)}`);
  }
  assert.equal(thrown.code, 'MANIFEST_INVALID');
  const issues = thrown.details?.['issues'];
  if (!Array.isArray(issues)) return assert.fail('details.issues is not a list');
  return { error: thrown, issues: issues as ManifestIssue[] };
}

/** The issue at `path`; fails, showing the whole message, when there is none. */
export function issueAt(caught: CaughtManifestError, path: string): ManifestIssue {
  const issue = caught.issues.find((i) => i.path === path);
  if (issue === undefined) return assert.fail(`no issue at ${path}; got:\n${caught.error.message}`);
  return issue;
}
