/**
 * The MANIFEST_INVALID error: every problem of a manifest at once, each as
 * `file:line:column key.path: what is wrong and what to do`.
 */
import { NimbusError } from '../shared/errors.js';

/** One problem, as it appears in `details.issues` of a MANIFEST_INVALID error. */
export interface ManifestIssue {
  /** Key path in the manifest, e.g. `functions.hello.triggers[0].http`; '' for the whole file. */
  path: string;
  line?: number;
  column?: number;
  message: string;
}

/** `['functions', 'hello', 'triggers', 0]` → `functions.hello.triggers[0]`. */
export function formatPath(path: readonly (string | number)[]): string {
  return path
    .map((seg, i) => {
      if (typeof seg === 'number') return `[${seg}]`;
      if (/^[A-Za-z_$][\w$-]*$/.test(seg)) return i === 0 ? seg : `.${seg}`;
      return `[${JSON.stringify(seg)}]`;
    })
    .join('');
}

/** One line of the error message: `nimbus.yaml:7:13 functions.hello.memory: must be at most 4096 (got 9000)`. */
export function formatIssue(file: string, issue: ManifestIssue): string {
  const where = issue.line === undefined ? file : `${file}:${issue.line}:${issue.column ?? 1}`;
  return issue.path === '' ? `${where}: ${issue.message}` : `${where} ${issue.path}: ${issue.message}`;
}

/** Builds the error for a list of problems, ordered as they appear in the file. */
export function manifestError(file: string, issues: ManifestIssue[]): NimbusError {
  const sorted = [...issues].sort((a, b) => (a.line ?? 0) - (b.line ?? 0) || (a.column ?? 0) - (b.column ?? 0));
  const count = sorted.length === 1 ? '1 problem' : `${sorted.length} problems`;
  const lines = sorted.map((issue) => `  ${formatIssue(file, issue)}`);
  return new NimbusError('MANIFEST_INVALID', [`${file} is invalid (${count}):`, ...lines].join('\n'), {
    details: { file, issues: sorted },
  });
}
