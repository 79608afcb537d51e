import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import Database from 'better-sqlite3';
import { Registry } from 'prom-client';
import type { LogLine } from '../domain/index.js';
import { SqliteFunctionMetrics, type FunctionMetricPoint } from '../store/function-metrics.js';
import { FunctionMetrics, type FunctionMetricStore } from './function-metrics.js';
import { FunctionSeries } from './function-series.js';

const emf = (name: string, value: number): string => JSON.stringify({ _aws: { CloudWatchMetrics: [{ Namespace: 'shop', Metrics: [{ Name: name }] }] }, [name]: value });
const line = (text: string, app = 'shop'): LogLine => ({ seq: 0, invocationId: 'inv', app, function: 'checkout', version: 1, ts: 1_000, stream: 'stdout', line: text });

/** A store whose appends take a turn of the event loop and may be made to fail, as a remote one. */
function slowStore(failing: { on: boolean }): FunctionMetricStore {
  const db = new Database(':memory:');
  const inner = new SqliteFunctionMetrics(db);
  return {
    append: async (points: readonly FunctionMetricPoint[]) => {
      await new Promise((resolve) => setImmediate(resolve));
      if (failing.on) throw new Error('database unreachable');
      await inner.append(points);
    },
    summary: (q) => inner.summary(q),
    points: (q) => inner.points(q),
    pruneBefore: (ts) => inner.pruneBefore(ts),
    deleteApp: (app) => inner.deleteApp(app),
    close: () => inner.close(),
  };
}

describe('FunctionMetrics with an async store', () => {
  it('a query reads every value printed before it, also one a timer flush is still writing', async () => {
    const logs: string[] = [];
    const m = new FunctionMetrics({ series: new FunctionSeries(new Registry()), store: slowStore({ on: false }), flushMs: 0, log: (l) => logs.push(l) });
    m.line(line(emf('orders', 1)));
    void m.flush();
    m.line(line(emf('orders', 2)));
    const [summary] = await m.summary({ app: 'shop', function: 'checkout', since: 0 });
    assert.equal(summary?.count, 2);
    m.line(line(emf('orders', 3)));
    m.appDeleted('shop');
    assert.deepEqual(await m.summary({ app: 'shop', function: 'checkout', since: 0 }), [], 'values pending when the app was deleted are deleted too');
    await m.close();
    assert.deepEqual(logs, []);
  });

  it('a failed append is logged and dropped; later values are still kept', async () => {
    const logs: string[] = [];
    const failing = { on: true };
    const m = new FunctionMetrics({ series: new FunctionSeries(new Registry()), store: slowStore(failing), log: (l) => logs.push(l) });
    m.line(line(emf('orders', 1)));
    await m.flush();
    failing.on = false;
    m.line(line(emf('orders', 5)));
    assert.deepEqual(
      (await m.points({ app: 'shop', function: 'checkout', since: 0, name: 'orders', limit: 10 })).map((p) => p.value),
      [5],
    );
    assert.equal(logs.length, 1);
    assert.match(logs[0]!, /dropped 1 function metric values: database unreachable/);
    await m.close();
  });
});
