/**
 * The metrics functions declare themselves (EMF lines, emf.ts) on the node's Prometheus registry:
 *
 *   nimbus_function_metric{app,function,namespace,name,unit}        gauge: the last value
 *   nimbus_function_metric_sum{…}                                   gauge: the sum of every value
 *   nimbus_function_metric_count{…}                                 counter: how many values
 *   nimbus_function_metric_series_dropped_total{app,function}       counter: values over the cap
 *
 * Cardinality is bounded: dimensions are not labels (they are stored, see the metrics API), and
 * one function gets at most `maxSeries` (namespace, name, unit) series (default 50); values of
 * further series are counted as dropped, not exported. `_sum` is a gauge because values may be
 * negative (a counter must only go up).
 */
import { Counter, Gauge, type Registry } from 'prom-client';
import type { EmfValue } from './emf.js';
import { upsert } from './series.js';

export const MAX_SERIES_PER_FUNCTION = 50;

interface Series {
  labels: { app: string; function: string; namespace: string; name: string; unit: string };
  last: number;
  sum: number;
  count: number;
}

interface PerFunction {
  series: Map<string, Series>;
  dropped: number;
}

export class FunctionSeries {
  private readonly functions = new Map<string, PerFunction>();

  constructor(
    registry: Registry,
    private readonly maxSeries = MAX_SERIES_PER_FUNCTION,
  ) {
    const registers = [registry];
    const all = (): Series[] => [...this.functions.values()].flatMap((f) => [...f.series.values()]);
    const labelNames = ['app', 'function', 'namespace', 'name', 'unit'];
    new Gauge({
      name: 'nimbus_function_metric',
      help: 'Last value of a metric a function printed in CloudWatch Embedded Metric Format (dimensions are not labels; see the metrics API).',
      labelNames,
      registers,
      collect() {
        this.reset();
        for (const s of all()) this.set(s.labels, s.last);
      },
    });
    new Gauge({
      name: 'nimbus_function_metric_sum',
      help: 'Sum of every value of a function-declared (EMF) metric (a gauge: values may be negative).',
      labelNames,
      registers,
      collect() {
        this.reset();
        for (const s of all()) this.set(s.labels, s.sum);
      },
    });
    new Counter({
      name: 'nimbus_function_metric_count',
      help: 'Values of a function-declared (EMF) metric received.',
      labelNames,
      registers,
      collect() {
        this.reset();
        for (const s of all()) this.inc(s.labels, s.count);
      },
    });
    const functions = this.functions;
    new Counter({
      name: 'nimbus_function_metric_series_dropped_total',
      help: `EMF values not exported because their function already has ${maxSeries} metric series (still stored and queryable).`,
      labelNames: ['app', 'function'],
      registers,
      collect() {
        this.reset();
        for (const [key, f] of functions) {
          if (f.dropped === 0) continue;
          const [app = '', fn = ''] = key.split('\0');
          this.inc({ app, function: fn }, f.dropped);
        }
      },
    });
  }

  /** Add the values of one EMF line of app/fn. */
  observe(app: string, fn: string, values: readonly EmfValue[]): void {
    const f = upsert(this.functions, `${app}\0${fn}`, () => ({ series: new Map<string, Series>(), dropped: 0 }));
    for (const v of values) {
      const key = `${v.namespace}\0${v.name}\0${v.unit}`;
      let s = f.series.get(key);
      if (!s) {
        if (f.series.size >= this.maxSeries) {
          f.dropped++;
          continue;
        }
        s = { labels: { app, function: fn, namespace: v.namespace, name: v.name, unit: v.unit }, last: 0, sum: 0, count: 0 };
        f.series.set(key, s);
      }
      s.last = v.value;
      s.sum += v.value;
      s.count++;
    }
  }

  /** Forget a function's series (its app was deleted). */
  forget(app: string, fn?: string): void {
    for (const key of this.functions.keys()) if (fn === undefined ? key.startsWith(`${app}\0`) : key === `${app}\0${fn}`) this.functions.delete(key);
  }
}
