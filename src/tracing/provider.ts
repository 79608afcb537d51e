/**
 * The node's own tracer provider: one per node, never the global one (tests start several nodes in
 * one process, and a function platform should not hijack its embedder's OTel setup). Loaded with a
 * dynamic import, so a node without an endpoint never loads the SDK.
 */
import type { Tracer } from '@opentelemetry/api';
import type * as SdkTraceBase from '@opentelemetry/sdk-trace-base';
import { NimbusError } from '../shared/errors.js';
import type { TracingOptions } from './options.js';

export interface Tracing {
  readonly tracer: Tracer;
  /** Export what is buffered, then stop. */
  close(): Promise<void>;
}

/** The node's tracing, or undefined (no spans at all) without an endpoint. */
export async function startTracing(options: TracingOptions | undefined): Promise<Tracing | undefined> {
  if (!options?.endpoint) return undefined;
  const [base, { resourceFromAttributes }] = await Promise.all([import('@opentelemetry/sdk-trace-base'), import('@opentelemetry/resources')]);
  const url = `${options.endpoint.replace(/\/+$/, '')}/v1/traces`;
  const exporter =
    options.protocol === 'http/json'
      ? new (await import('@opentelemetry/exporter-trace-otlp-http')).OTLPTraceExporter({ url })
      : new (await import('@opentelemetry/exporter-trace-otlp-proto')).OTLPTraceExporter({ url });
  const provider = new base.BasicTracerProvider({
    resource: resourceFromAttributes({ 'service.name': options.serviceName ?? 'nimbus' }),
    sampler: sampler(base, options.sampler ?? 'parentbased_always_on', options.samplerArg),
    spanProcessors: [new base.BatchSpanProcessor(exporter, { scheduledDelayMillis: 1000 })],
  });
  return {
    tracer: provider.getTracer('nimbus'),
    close: async () => {
      await provider.forceFlush();
      await provider.shutdown();
    },
  };
}

type Base = typeof SdkTraceBase;

function sampler(base: Base, name: string, arg: string | undefined) {
  const ratio = arg === undefined || arg === '' ? 1 : Number(arg);
  if (!(ratio >= 0 && ratio <= 1)) throw new NimbusError('BAD_REQUEST', `OTEL_TRACES_SAMPLER_ARG must be a number from 0 to 1, got "${arg}"`);
  switch (name) {
    case 'always_on':
      return new base.AlwaysOnSampler();
    case 'always_off':
      return new base.AlwaysOffSampler();
    case 'traceidratio':
      return new base.TraceIdRatioBasedSampler(ratio);
    case 'parentbased_always_on':
      return new base.ParentBasedSampler({ root: new base.AlwaysOnSampler() });
    case 'parentbased_always_off':
      return new base.ParentBasedSampler({ root: new base.AlwaysOffSampler() });
    case 'parentbased_traceidratio':
      return new base.ParentBasedSampler({ root: new base.TraceIdRatioBasedSampler(ratio) });
    default:
      throw new NimbusError('BAD_REQUEST', `OTEL_TRACES_SAMPLER "${name}" is not supported: use always_on, always_off, traceidratio or parentbased_*`);
  }
}
