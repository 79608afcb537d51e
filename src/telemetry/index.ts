export { TelemetryWriter, type TelemetryWriterOptions } from './writer.js';
export { StoreSink, type TelemetrySink } from './sink.js';
export { SqliteWorkerSink } from './worker-sink.js';
export { reportLine, withReportLines } from './report.js';
export { NodeMetrics, type MetricSources, type InstanceCount, type FunctionLoad, type EventBacklog } from './metrics.js';
export { MetricsServer } from './metrics-server.js';
export { FunctionMetrics, type FunctionMetricStore, type FunctionMetricsOptions } from './function-metrics.js';
export { FunctionSeries, MAX_SERIES_PER_FUNCTION } from './function-series.js';
export { parseEmf, type EmfValue } from './emf.js';
