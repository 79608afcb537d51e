import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { Registry } from 'prom-client';
import { parseEmf } from './emf.js';
import { FunctionSeries } from './function-series.js';

const POWERTOOLS =
  '{"_aws":{"Timestamp":1764540000000,"CloudWatchMetrics":[{"Namespace":"shop","Dimensions":[["service"]],"Metrics":[{"Name":"orders","Unit":"Count"},{"Name":"latency","Unit":"Milliseconds"}]}]},"service":"checkout","orders":2,"latency":[10,20.5]}';

describe('EMF lines', () => {
  it('reads every value with its namespace, unit, dimensions and timestamp', () => {
    const values = parseEmf(POWERTOOLS);
    assert.deepEqual(
      values.map((v) => [v.namespace, v.name, v.unit, v.value]),
      [
        ['shop', 'orders', 'Count', 2],
        ['shop', 'latency', 'Milliseconds', 10],
        ['shop', 'latency', 'Milliseconds', 20.5],
      ],
    );
    assert.deepEqual(values[0]?.dimensions, { service: 'checkout' });
    assert.equal(values[0]?.timestamp, 1764540000000);
  });

  it('ignores lines that are not EMF, and values that are not finite numbers', () => {
    for (const line of ['hello', '{"_aws":1}', '{"_aws":{"CloudWatchMetrics":[]}}', '{"_aws": {"CloudWatchMetrics": [{"Metrics": []}]}}', '{"_aws":', ' {"_aws":{}}'])
      assert.deepEqual(parseEmf(line), [], line);
    const odd = parseEmf('{"_aws":{"CloudWatchMetrics":[{"Namespace":"n","Metrics":[{"Name":"a"},{"Name":"b"},{"Name":"c"}]}]},"a":"1","b":null,"c":3}');
    assert.deepEqual(
      odd.map((v) => [v.name, v.unit, v.value]),
      [['c', 'None', 3]],
    );
  });

  it('keeps at most 100 values of a line', () => {
    const values = Array.from({ length: 150 }, (_, i) => i);
    assert.equal(parseEmf(JSON.stringify({ _aws: { CloudWatchMetrics: [{ Namespace: 'n', Metrics: [{ Name: 'm' }] }] }, m: values })).length, 100);
  });
});

describe('function series on the Prometheus registry', () => {
  it('exports last value, sum and count per (namespace, name, unit), and caps the series of a function', async () => {
    const registry = new Registry();
    const series = new FunctionSeries(registry, 2);
    series.observe('shop', 'checkout', parseEmf(POWERTOOLS));
    series.observe('shop', 'checkout', parseEmf('{"_aws":{"CloudWatchMetrics":[{"Namespace":"shop","Metrics":[{"Name":"third"}]}]},"third":1}'));
    const text = await registry.metrics();
    assert.match(text, /nimbus_function_metric\{app="shop",function="checkout",namespace="shop",name="orders",unit="Count"\} 2/);
    assert.match(text, /nimbus_function_metric\{app="shop",function="checkout",namespace="shop",name="latency",unit="Milliseconds"\} 20.5/);
    assert.match(text, /nimbus_function_metric_sum\{[^}]*name="latency"[^}]*\} 30.5/);
    assert.match(text, /nimbus_function_metric_count\{[^}]*name="latency"[^}]*\} 2/);
    assert.doesNotMatch(text, /name="third"/);
    assert.match(text, /nimbus_function_metric_series_dropped_total\{app="shop",function="checkout"\} 1/);
  });
});
