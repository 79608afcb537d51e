/** The invocation explorer (one function's records, filtered) and one invocation with its logs. */
import { api, type FunctionView, type Invocation, type LogLine } from './api.js';
import { href, navigate, usePoll } from './router.js';

const enc = encodeURIComponent;

export function InvocationsPage({ url }: { url: URL }) {
  const q = url.searchParams;
  const { data: fns } = usePoll(() => api<{ functions: FunctionView[] }>('/v1/functions'), []);
  const first = fns?.functions[0];
  const app = q.get('app') ?? first?.app;
  const fn = q.get('function') ?? first?.name;
  const status = q.get('status') ?? '';
  const cold = q.get('cold') ?? '';
  const { data, error } = usePoll(async () => (app && fn ? api<{ invocations: Invocation[] }>(`/v1/apps/${enc(app)}/functions/${enc(fn)}/invocations?limit=200`) : { invocations: [] }), [app, fn]);
  const set = (k: string, v: string) => navigate('/invocations', { ...Object.fromEntries(q), ...(app && fn ? { app, function: fn } : {}), [k]: v });
  const shown = (data?.invocations ?? []).filter((i) => (status === '' || i.status === status) && (cold === '' || String(i.coldStart) === cold));
  return (
    <>
      <h2>Invocations</h2>
      <div class="filters">
        <select
          aria-label="function"
          value={app && fn ? `${app}/${fn}` : ''}
          onChange={(e) => {
            const [a, f] = e.currentTarget.value.split('/');
            navigate('/invocations', { app: a!, function: f! });
          }}
        >
          {fns?.functions.map((f) => (
            <option key={`${f.app}/${f.name}`} value={`${f.app}/${f.name}`}>
              {f.app}/{f.name}
            </option>
          ))}
        </select>
        <select aria-label="status" value={status} onChange={(e) => set('status', e.currentTarget.value)}>
          <option value="">any status</option>
          {['ok', 'error', 'timeout', 'throttled'].map((s) => (
            <option key={s} value={s}>
              {s}
            </option>
          ))}
        </select>
        <select aria-label="cold start" value={cold} onChange={(e) => set('cold', e.currentTarget.value)}>
          <option value="">cold or warm</option>
          <option value="true">cold starts</option>
          <option value="false">warm</option>
        </select>
      </div>
      {error && <p class="error">{error}</p>}
      <table>
        <thead>
          <tr>
            <th>id</th>
            <th>started</th>
            <th>status</th>
            <th>duration</th>
            <th>cold</th>
            <th>trigger</th>
          </tr>
        </thead>
        <tbody>
          {shown.map((i) => (
            <tr key={i.id} data-invocation={i.id}>
              <td>
                <a {...href(`/invocations/${enc(i.id)}`)}>{i.id}</a>
              </td>
              <td>{new Date(i.startedAt).toLocaleString()}</td>
              <td>{i.status}</td>
              <td>{i.durationMs} ms</td>
              <td>{i.coldStart ? 'cold' : ''}</td>
              <td>{i.trigger}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </>
  );
}

export function InvocationPage({ id }: { id: string }) {
  const { data: rec, error } = usePoll(() => api<Invocation>(`/v1/invocations/${enc(id)}`), [id]);
  const { data: logs } = usePoll(
    async () => (rec ? api<{ lines: LogLine[] }>(`/v1/apps/${enc(rec.app)}/functions/${enc(rec.function)}/logs?invocation=${enc(id)}`) : undefined),
    [rec?.app, rec?.function, id],
  );
  return (
    <>
      <h2>Invocation {id}</h2>
      {error && <p class="error">{error}</p>}
      {rec && <pre class="record">{JSON.stringify(rec, null, 2)}</pre>}
      <h3>Logs</h3>
      <pre class="logs">{logs?.lines.map((l) => `${new Date(l.ts).toISOString()} ${l.stream} ${l.line}`).join('\n')}</pre>
    </>
  );
}
