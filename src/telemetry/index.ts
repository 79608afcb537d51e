export { TelemetryWriter, type TelemetryWriterOptions } from './writer.js';
export { StoreSink, type TelemetrySink } from './sink.js';
export { SqliteWorkerSink } from './worker-sink.js';
export { reportLine, withReportLines } from './report.js';
