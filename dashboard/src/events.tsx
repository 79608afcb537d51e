/** Dead letters per function, each function with a Redrive button (needs a deploy or admin key). */
import { useState } from 'preact/hooks';
import { api, type DeadEvent, type FunctionView } from './api.js';
import { usePoll } from './router.js';

const enc = encodeURIComponent;

async function deadLetters(): Promise<Array<{ f: FunctionView; events: DeadEvent[] }>> {
  const { functions } = await api<{ functions: FunctionView[] }>('/v1/functions');
  return Promise.all(functions.map(async (f) => ({ f, events: (await api<{ events: DeadEvent[] }>(`/v1/apps/${enc(f.app)}/functions/${enc(f.name)}/dlq`).catch(() => ({ events: [] }))).events })));
}

export function EventsPage() {
  const { data, error, reload } = usePoll(deadLetters, []);
  const [message, setMessage] = useState<string>();
  const redrive = async (f: FunctionView) => {
    try {
      const { redriven } = await api<{ redriven: number }>(`/v1/apps/${enc(f.app)}/functions/${enc(f.name)}/dlq/redrive`, { method: 'POST', body: {} });
      setMessage(`${f.app}/${f.name}: ${redriven} event(s) queued again`);
    } catch (err) {
      setMessage(err instanceof Error ? err.message : String(err));
    }
    reload();
  };
  return (
    <>
      <h2>Events: dead letters</h2>
      {error && <p class="error">{error}</p>}
      {message && <p class="message">{message}</p>}
      {data?.map(({ f, events }) => (
        <section key={`${f.app}/${f.name}`} data-dlq={`${f.app}/${f.name}`}>
          <h3>
            {f.app}/{f.name}: <span class="count">{events.length}</span> dead
            {events.length > 0 && <button onClick={() => void redrive(f)}>Redrive</button>}
          </h3>
          {events.length > 0 && (
            <table>
              <tbody>
                {events.map((e) => (
                  <tr key={e.id}>
                    <td>{e.id}</td>
                    <td>{new Date(e.deadAt).toLocaleString()}</td>
                    <td>{e.attempts} attempt(s)</td>
                    <td>{e.reason}</td>
                    <td>{e.lastError}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
        </section>
      ))}
    </>
  );
}
