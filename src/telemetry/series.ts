/**
 * Hot-path aggregates for metrics: plain numbers in maps, turned into prom-client samples only when
 * scraped. prom-client's own `inc(labels)` / `observe(labels)` hash and validate the label object
 * on every call (~1 µs each, measured); a map lookup and a few additions cost a tenth of that.
 */
import type { MetricObjectWithValues, MetricValueWithName, MetricType } from 'prom-client';

/** Bucket counts of one histogram series (non-cumulative; made cumulative on export). */
export class Buckets {
  readonly counts: number[];
  sum = 0;
  count = 0;

  constructor(private readonly bounds: readonly number[]) {
    this.counts = bounds.map(() => 0);
  }

  observe(v: number): void {
    const { bounds } = this;
    let i = 0;
    while (i < bounds.length && v > bounds[i]!) i++;
    if (i < bounds.length) this.counts[i]!++;
    this.sum += v;
    this.count++;
  }
}

type Labels = Record<string, string>;

/**
 * A histogram whose series live elsewhere (`series()` lists them at scrape time), registered with a
 * prom-client Registry as any metric is: the registry formats what `get()` returns.
 */
export class ExternalHistogram {
  // prom-client's typings say a numeric enum; its registry writes this string after `# TYPE`.
  readonly type = 'histogram' as unknown as MetricType;
  readonly aggregator = 'sum' as const;

  constructor(
    readonly name: string,
    readonly help: string,
    private readonly bounds: readonly number[],
    private readonly series: () => Iterable<{ labels: Labels; buckets: Buckets }>,
  ) {}

  get(): Promise<MetricObjectWithValues<MetricValueWithName<string>>> {
    const values: Array<MetricValueWithName<string>> = [];
    for (const { labels, buckets } of this.series()) {
      let acc = 0;
      this.bounds.forEach((le, i) => {
        acc += buckets.counts[i]!;
        values.push({ metricName: `${this.name}_bucket`, labels: { ...labels, le }, value: acc });
      });
      values.push({ metricName: `${this.name}_bucket`, labels: { ...labels, le: '+Inf' }, value: buckets.count });
      values.push({ metricName: `${this.name}_sum`, labels, value: buckets.sum });
      values.push({ metricName: `${this.name}_count`, labels, value: buckets.count });
    }
    return Promise.resolve({ name: this.name, help: this.help, type: this.type, aggregator: this.aggregator, collect: () => {}, values });
  }

  /** The aggregates are the node's; the registry's reset leaves them. */
  reset(): void {}
}

/** Get `key` from `map`, making it with `make` the first time. */
export function upsert<K, V>(map: Map<K, V>, key: K, make: () => V): V {
  let v = map.get(key);
  if (v === undefined) map.set(key, (v = make()));
  return v;
}
