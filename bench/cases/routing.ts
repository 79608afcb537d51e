/**
 * Case 5, routing scale: warm latency of one route on a node with 1,000 routes registered
 * against a node with only that route, measured in interleaved rounds. The 999 other routes share
 * prefixes and parameters with the measured one, so a router that scans them pays for it.
 * A third node identical to the 1-route one is measured too, as a control: its ratio to the first
 * is the noise floor of the comparison. Target: p50 and p99 within 10%.
 */
import { handlers, writeApp, type BenchFunction } from '../lib/apps.js';
import { emptyOutput, failIf, target, type BenchCase } from '../lib/context.js';
import { startNimbus } from '../lib/nimbus.js';
import { badAnswers, badSystems, med, roundMetrics, roundRatio, runRounds, type System } from '../lib/rounds.js';

const CONNECTIONS = 50;
const ROUTE = 'GET /api/v1/svc777/items/{id}';
const URL_PATH = '/api/v1/svc777/items/42';

/** 999 routes in 3 shapes over 333 services, spread over 9 functions. */
function fillerFunctions(): Record<string, BenchFunction> {
  const fns: Record<string, BenchFunction> = {};
  for (let f = 0; f < 9; f++) {
    const routes: string[] = [];
    for (let i = f * 37; i < (f + 1) * 37; i++) {
      routes.push(`GET /api/v1/svc${i}/items`, `GET /api/v1/svc${i}/items/{id}`, `POST /api/v1/svc${i}/items/{id}/tags/{tag}`);
    }
    fns[`filler${f}`] = { source: handlers.lambda(`filler ${f}`), routes };
  }
  return fns;
}

export const routing: BenchCase = {
  id: 'routing',
  title: 'Routing scale',
  async run(ctx, scope) {
    const rounds = ctx.quick ? 3 : 10;
    const durationS = ctx.quick ? 2 : 4;
    const warmupS = ctx.quick ? 1 : 3;
    const out = emptyOutput({ connections: CONNECTIONS, rounds, durationS, warmupS, route: ROUTE });
    const hello: BenchFunction = { source: handlers.lambda(), routes: [ROUTE], concurrency: 1, instanceConcurrency: 100, idleTimeout: 3600 };

    const oneDir = writeApp(ctx.tmpDir, { app: 'routes-one', functions: { hello } });
    const one = await startNimbus(ctx, scope, { name: 'routes-1' });
    await one.deploy(oneDir);
    // An identical 1-route node: the spread of its ratio to the first shows the noise floor.
    const control = await startNimbus(ctx, scope, { name: 'routes-1-control' });
    await control.deploy(oneDir);
    const many = await startNimbus(ctx, scope, { name: 'routes-1000' });
    const fillers = fillerFunctions();
    const total = Object.values(fillers).reduce((n, f) => n + (f.routes?.length ?? 0), 1);
    await many.deploy(writeApp(ctx.tmpDir, { app: 'routes-many', functions: { hello, ...fillers } }));
    out.params['routesOnLargeNode'] = total;

    const small: System = { name: '1 route', spec: { url: one.gatewayUrl + URL_PATH, connections: CONNECTIONS, expectBody: 'hello' } };
    const large: System = { name: `${total} routes`, spec: { url: many.gatewayUrl + URL_PATH, connections: CONNECTIONS, expectBody: 'hello' } };
    const same: System = { name: '1 route (control)', spec: { url: control.gatewayUrl + URL_PATH, connections: CONNECTIONS, expectBody: 'hello' } };
    const systems = [small, large, same];
    const results = await runRounds(systems, { rounds, durationS, warmupS, log: ctx.log });
    failIf(out, badSystems(results));
    const a = results.get(small.name) ?? [];
    const b = results.get(large.name) ?? [];
    const c = results.get(same.name) ?? [];
    for (const s of systems) Object.assign(out.metrics, roundMetrics(s.name, results.get(s.name) ?? []));

    const p50 = roundRatio(b, a, (r) => r.latency.p50);
    const p99 = roundRatio(b, a, (r) => r.latency.p99);
    const rps = roundRatio(b, a, (r) => r.rps);
    out.ratios.push(
      { name: `p50 ${total} routes / 1 route`, value: p50.value, rounds: p50.rounds, definition: 'per-round p50 latency ratio, median over rounds' },
      { name: `p99 ${total} routes / 1 route`, value: p99.value, rounds: p99.rounds, definition: 'per-round p99 latency ratio, median over rounds' },
      { name: `req/s ${total} routes / 1 route`, value: rps.value, rounds: rps.rounds, definition: 'per-round throughput ratio, median over rounds' },
    );
    const p50aa = roundRatio(c, a, (r) => r.latency.p50);
    const p99aa = roundRatio(c, a, (r) => r.latency.p99);
    out.ratios.push(
      { name: 'p50 control / 1 route (noise floor)', value: p50aa.value, rounds: p50aa.rounds, definition: 'two identical 1-route nodes: how far apart the same thing measures in this run' },
      { name: 'p99 control / 1 route (noise floor)', value: p99aa.value, rounds: p99aa.rounds, definition: 'the same for p99' },
    );
    out.targets.push(target(`p50 latency, ${total} routes / 1 route`, p50.value, '<=', 1.1, '×'));
    out.targets.push(target(`p99 latency, ${total} routes / 1 route`, p99.value, '<=', 1.1, '×'));
    out.tables.push({
      title: `Warm Lambda-style hello at ${CONNECTIONS} connections, median of ${rounds} interleaved rounds of ${durationS} s`,
      columns: ['node', 'req/s', 'p50 ms', 'p99 ms', 'bad answers'],
      rows: systems.map((s) => {
        const r = results.get(s.name) ?? [];
        return [s.name, med(r, (x) => x.rps), med(r, (x) => x.latency.p50), med(r, (x) => x.latency.p99), badAnswers(r)];
      }),
    });
    return out;
  },
};
