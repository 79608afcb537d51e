// A node:test reporter that writes one JSON object, the run's totals and the failed tests (name
// path and file), to its destination. scripts/test.mjs runs it beside the usual reporter and
// prints the summary after the raw output, so a long run ends with what a person looks for first.

/** @param {AsyncIterable<{ type: string, data: any }>} source */
export default async function* summaryReporter(source) {
  let passed = 0;
  let failed = 0;
  let skipped = 0;
  let todo = 0;
  /** Failed only because their suite did (a hook failed): counted, not listed; the suite is. */
  let cancelled = 0;
  const failures = [];
  /** The names of the tests and suites enclosing the current one, by nesting level. */
  const path = [];
  /** Leaf failures counted under each open suite, so a suite that failed on its own (a hook) is listed too. */
  const failedUnder = [];
  for await (const { type, data } of source) {
    if (type === 'test:start') {
      path[data.nesting] = data.name;
      path.length = data.nesting + 1;
      failedUnder[data.nesting] = 0;
      continue;
    }
    if (type !== 'test:pass' && type !== 'test:fail') continue;
    const isSuite = data.details?.type === 'suite';
    const name = [...path.slice(0, data.nesting), data.name].join(' > ');
    if (isSuite) {
      if (type === 'test:fail' && (failedUnder[data.nesting] ?? 0) === 0) {
        failures.push({ name, file: data.file ?? null, error: firstLine(data.details?.error) });
      }
      continue;
    }
    if (data.skip !== undefined && data.skip !== false) skipped++;
    else if (data.todo !== undefined && data.todo !== false) todo++;
    else if (type === 'test:pass') passed++;
    else if (data.details?.error?.failureType === 'cancelledByParent') {
      failed++;
      cancelled++;
    } else {
      failed++;
      for (let i = 0; i < data.nesting; i++) failedUnder[i] = (failedUnder[i] ?? 0) + 1;
      failures.push({ name, file: data.file ?? null, error: firstLine(data.details?.error) });
    }
  }
  yield `${JSON.stringify({ passed, failed, cancelled, skipped, todo, failures })}\n`;
}

/** The error's first line (the cause's, when the runner wrapped it). */
function firstLine(error) {
  if (!error) return null;
  const cause = error.cause ?? error;
  const text = cause instanceof Error ? `${cause.name}: ${cause.message}` : String(cause?.message ?? cause);
  return text.split('\n')[0].slice(0, 300);
}
