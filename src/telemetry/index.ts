export { TelemetryWriter, type TelemetryWriterOptions } from './writer.js';
