/**
 * What an import found: warnings (something of the template that Nimbus does not map, said with
 * its key path so nothing is dropped silently) and errors (something that cannot work, which
 * refuses the whole template before anything is deployed or written).
 */
import { formatPath } from '../manifest/issues.js';
import { NimbusError } from '../shared/errors.js';

export type KeyPath = readonly (string | number)[];

/** One finding, as `serverless.yml:12:7 functions.hello.role: IAM roles are not mapped`. */
export interface ImportIssue {
  /** Key path in the template, e.g. `functions.hello.events[0].http`. */
  path: string;
  line?: number;
  column?: number;
  message: string;
}

export class Report {
  readonly warnings: ImportIssue[] = [];
  readonly errors: ImportIssue[] = [];

  constructor(
    /** The template's name as shown in messages (`serverless.yml`). */
    readonly file: string,
    private readonly position: (path: KeyPath) => { line: number; column: number } | undefined = () => undefined,
  ) {}

  warn(path: KeyPath, message: string): void {
    this.warnings.push(this.issue(path, message));
  }

  error(path: KeyPath, message: string): void {
    this.errors.push(this.issue(path, message));
  }

  /** @throws NimbusError TEMPLATE_UNSUPPORTED listing every error, when there is any. */
  throwIfErrors(): void {
    if (this.errors.length === 0) return;
    const count = this.errors.length === 1 ? '1 problem' : `${this.errors.length} problems`;
    const lines = this.errors.map((i) => `  ${formatIssue(this.file, i)}`);
    throw new NimbusError('TEMPLATE_UNSUPPORTED', [`${this.file} cannot be deployed on Nimbus (${count}); nothing was changed:`, ...lines].join('\n'), {
      details: { file: this.file, issues: this.errors, warnings: this.warnings },
    });
  }

  private issue(path: KeyPath, message: string): ImportIssue {
    return { path: formatPath(path), ...this.position(path), message };
  }
}

/** `serverless.yml:12:7 functions.hello.role: IAM roles are not mapped`. */
export function formatIssue(file: string, issue: ImportIssue): string {
  const where = issue.line === undefined ? file : `${file}:${issue.line}:${issue.column ?? 1}`;
  return issue.path === '' ? `${where}: ${issue.message}` : `${where} ${issue.path}: ${issue.message}`;
}
