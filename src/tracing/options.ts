/** What `nimbus up` passes when spans are exported (from OTEL_* env vars or `--otlp-endpoint`). */
export interface TracingOptions {
  /** OTLP/HTTP base URL, e.g. http://localhost:4318 (spans go to `<endpoint>/v1/traces`). */
  endpoint: string;
  /** OTEL_EXPORTER_OTLP_PROTOCOL: `http/protobuf` (default) or `http/json`. */
  protocol?: 'http/protobuf' | 'http/json';
  /** OTEL_SERVICE_NAME. Default `nimbus`. */
  serviceName?: string;
  /** OTEL_TRACES_SAMPLER: always_on, always_off, traceidratio, parentbased_always_on (default), parentbased_always_off, parentbased_traceidratio. */
  sampler?: string;
  /** OTEL_TRACES_SAMPLER_ARG: the ratio of the *traceidratio samplers (default 1). */
  samplerArg?: string;
}
