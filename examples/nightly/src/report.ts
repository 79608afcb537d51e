// Web style: `scheduled` runs on the cron schedule; `fetch` lets you run it by hand (invoke).
interface Env {
  REPORTS: { put(key: string, body: string, opts?: { contentType?: string }): Promise<unknown> };
}

async function buildReport(env: Env, when: Date): Promise<string> {
  const day = when.toISOString().slice(0, 10);
  const report = `Nightly report for ${day}\ngenerated at ${when.toISOString()}\n`;
  await env.REPORTS.put(`daily/${day}.txt`, report, { contentType: 'text/plain' });
  return report;
}

export default {
  async scheduled(event: { scheduledTime: number }, env: Env): Promise<void> {
    console.log(await buildReport(env, new Date(event.scheduledTime)));
  },
  async fetch(_request: Request, env: Env): Promise<Response> {
    return new Response(await buildReport(env, new Date()));
  },
};
