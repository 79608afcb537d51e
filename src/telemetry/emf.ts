/**
 * CloudWatch Embedded Metric Format (EMF): a log line that is a JSON object with an `_aws` member
 * declares metrics whose values sit beside it at the root, e.g. what Powertools Metrics prints:
 *
 *   {"_aws":{"Timestamp":1764540000000,"CloudWatchMetrics":[{"Namespace":"shop","Dimensions":[["service"]],
 *     "Metrics":[{"Name":"orders","Unit":"Count"}]}]},"service":"checkout","orders":2}
 *
 * The function's output is untrusted: anything that does not follow the format is not a metric
 * (the line stays an ordinary log line either way). Limits are EMF's own: 100 metrics per line,
 * 100 values per metric; names and namespaces up to 255 characters.
 */
import { z } from 'zod';

/** One metric value read from a line. */
export interface EmfValue {
  namespace: string;
  name: string;
  /** CloudWatch unit (`Count`, `Milliseconds`, …); `None` when the line names none. */
  unit: string;
  value: number;
  /** The values of the directive's dimension keys (strings found at the root). */
  dimensions: Record<string, string>;
  /** Epoch ms the line says (`_aws.Timestamp`), if any. */
  timestamp: number | undefined;
}

const MAX_METRICS = 100;
const MAX_VALUES = 100;

const name = z.string().min(1).max(255);
const directive = z.object({
  Namespace: name,
  Dimensions: z
    .array(z.array(z.string().max(255)).max(30))
    .max(30)
    .optional(),
  Metrics: z.array(z.object({ Name: name, Unit: z.string().max(64).optional() })).max(MAX_METRICS),
});
const envelope = z.object({
  _aws: z.object({
    Timestamp: z.number().finite().optional(),
    CloudWatchMetrics: z.array(directive).min(1).max(MAX_METRICS),
  }),
});

/** Cheap test before JSON.parse: every log line passes here. */
export function mightBeEmf(line: string): boolean {
  return line.charCodeAt(0) === 123 /* { */ && line.includes('"_aws"');
}

/** The metric values of an EMF line, or [] when it is not one. At most 100 values. */
export function parseEmf(line: string): EmfValue[] {
  if (!mightBeEmf(line)) return [];
  let doc: unknown;
  try {
    doc = JSON.parse(line);
  } catch {
    return [];
  }
  const parsed = envelope.safeParse(doc);
  if (!parsed.success) return [];
  const root = doc as Record<string, unknown>;
  const timestamp = parsed.data._aws.Timestamp;
  const out: EmfValue[] = [];
  for (const d of parsed.data._aws.CloudWatchMetrics) {
    const dimensions: Record<string, string> = {};
    for (const key of (d.Dimensions ?? []).flat()) {
      const v = root[key];
      if (typeof v === 'string') dimensions[key] = v;
    }
    for (const m of d.Metrics) {
      const raw = root[m.Name];
      const values = Array.isArray(raw) ? raw.slice(0, MAX_VALUES) : [raw];
      for (const v of values) {
        if (typeof v !== 'number' || !Number.isFinite(v)) continue;
        out.push({ namespace: d.Namespace, name: m.Name, unit: m.Unit ?? 'None', value: v, dimensions, timestamp });
        if (out.length >= MAX_VALUES) return out;
      }
    }
  }
  return out;
}
