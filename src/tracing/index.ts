export type { Tracer } from '@opentelemetry/api';
export { contextOf, parentContext, parseTraceparent, traceIdOf, traceparentOf } from './context.js';
export type { TracingOptions } from './options.js';
export { startTracing, type Tracing } from './provider.js';
