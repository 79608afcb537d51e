/**
 * YAML syntax errors as manifest issues. One real mistake (an unquoted `{id}` inside `[ ]`)
 * makes the parser report a cascade of follow-on errors, so only the first is reported, plus
 * duplicate keys, which are independent of each other.
 */
import type { Document, LineCounter, ParsedNode } from 'yaml';
import type { ManifestIssue } from './issues.js';

const FLOW_HINT = 'inside [ ] or { }, quote values that contain braces, brackets or commas, e.g. [{ http: "GET /users/{id}" }]';

// `schedule: */5 * * * *` reads as an alias (`*name`) to YAML.
const ALIAS_HINT = 'a value starting with "*" is a YAML alias: quote cron expressions, e.g. schedule: "*/5 * * * *"';

export function syntaxIssues(doc: Document.Parsed<ParsedNode>, lineCounter: LineCounter, text: string): ManifestIssue[] {
  const first = doc.errors.find((e) => e.code !== 'DUPLICATE_KEY');
  const kept = doc.errors.filter((e) => e === first || e.code === 'DUPLICATE_KEY');
  const dropped = doc.errors.length - kept.length;
  return kept.map((err) => {
    const { line, col } = lineCounter.linePos(err.pos[0]);
    let message = `YAML syntax: ${err.message}`;
    if (err === first) {
      const lineText = text.split(/\r?\n/)[line - 1] ?? '';
      if (/alias/i.test(err.message) && /:\s*\*/.test(lineText)) message += `; ${ALIAS_HINT}`;
      else if (/[[{]/.test(lineText) && /flow|Unexpected/.test(err.message)) message += `; ${FLOW_HINT}`;
      if (dropped > 0) message += ` (${dropped} more error${dropped === 1 ? '' : 's'} after it may be caused by this one)`;
    }
    return { path: '', line, column: col, message };
  });
}
