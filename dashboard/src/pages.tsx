/** Overview (the node's charts) and Functions (list, then one function's config and chart). */
import { api, statsQuery, type FunctionView, type Range, type Stats } from './api.js';
import { Chart } from './chart.js';
import { href, usePoll } from './router.js';

function StatsView({ stats }: { stats: Stats }) {
  const t = stats.total;
  const ms = (v: number | null) => (v === null ? '–' : `${Math.round(v)} ms`);
  const cells: Array<[string, string]> = [
    ['invocations', String(t.invocations)],
    ['errors', String(t.errors)],
    ['throttles', String(t.throttles)],
    ['cold starts', String(t.coldStarts)],
    ['p50', ms(t.p50)],
    ['p95', ms(t.p95)],
    ['p99', ms(t.p99)],
    ['cost', t.cost > 0 && t.cost < 0.01 ? `$${t.cost.toExponential(2)}` : `$${t.cost.toFixed(2)}`],
  ];
  return (
    <>
      <div class="totals">
        {cells.map(([label, value]) => (
          <div key={label} data-total={label}>
            {label}
            <b>{value}</b>
          </div>
        ))}
      </div>
      <div class="charts">
        <Chart title="Invocations" stats={stats} fields={['invocations', 'errors', 'throttles', 'coldStarts']} />
        <Chart title="Duration (ms)" stats={stats} fields={['p50', 'p95', 'p99']} />
        <Chart title="Cost ($)" stats={stats} fields={['cost']} />
      </div>
    </>
  );
}

export function OverviewPage({ range }: { range: Range }) {
  const { data, error } = usePoll(() => api<Stats>(statsQuery(range)), [range]);
  return (
    <>
      <h2>Overview</h2>
      {error && <p class="error">{error}</p>}
      {data && <StatsView stats={data} />}
    </>
  );
}

export function FunctionsPage() {
  const { data, error } = usePoll(() => api<{ functions: FunctionView[] }>('/v1/functions'), []);
  return (
    <>
      <h2>Functions</h2>
      {error && <p class="error">{error}</p>}
      <table>
        <thead>
          <tr>
            <th>function</th>
            <th>version</th>
            <th>triggers</th>
            <th>instances</th>
          </tr>
        </thead>
        <tbody>
          {data?.functions.map((f) => (
            <tr key={`${f.app}/${f.name}`} data-function={`${f.app}/${f.name}`}>
              <td>
                <a {...href(`/functions/${encodeURIComponent(f.app)}/${encodeURIComponent(f.name)}`)}>
                  {f.app}/{f.name}
                </a>
              </td>
              <td>
                v{f.activeVersion} (latest v{f.latestVersion})
              </td>
              <td>{[...new Set(f.config.triggers.map((t) => t.type))].join(', ') || '–'}</td>
              <td>
                {f.instances.busy} busy / {f.instances.idle} idle
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </>
  );
}

export function FunctionPage({ app, fn, range }: { app: string; fn: string; range: Range }) {
  const path = `/v1/apps/${encodeURIComponent(app)}/functions/${encodeURIComponent(fn)}`;
  const { data: f, error } = usePoll(() => api<FunctionView>(path), [path]);
  const { data: stats } = usePoll(() => api<Stats>(statsQuery(range, { app, function: fn })), [app, fn, range]);
  return (
    <>
      <h2>
        {app}/{fn}
      </h2>
      {error && <p class="error">{error}</p>}
      <p>
        <a {...href(`/invocations?app=${encodeURIComponent(app)}&function=${encodeURIComponent(fn)}`)}>invocations</a>
      </p>
      {stats && <StatsView stats={stats} />}
      {f && (
        <>
          <h3>Configuration (v{f.activeVersion})</h3>
          <pre>{JSON.stringify(f.config, null, 2)}</pre>
        </>
      )}
    </>
  );
}
