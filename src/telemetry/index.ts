export { TelemetryWriter, type TelemetryWriterOptions } from './writer.js';
export { StoreSink, type TelemetrySink } from './sink.js';
export { SqliteWorkerSink } from './worker-sink.js';
export { reportLine, withReportLines } from './report.js';
export { NodeMetrics, type MetricSources, type InstanceCount, type FunctionLoad, type EventBacklog } from './metrics.js';
export { MetricsServer } from './metrics-server.js';
