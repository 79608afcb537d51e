/**
 * `network:` of a function (or `defaults`): its outbound policy. The entry grammar lives with the
 * code that enforces it (src/network/policy.ts), so the manifest accepts exactly what the node can apply.
 */
import { z } from 'zod';
import { MAX_EGRESS_ENTRIES, parseEgressEntry } from '../network/index.js';

const entry = z
  .string()
  .superRefine((text, ctx) => {
    try {
      parseEgressEntry(text);
    } catch (err) {
      ctx.addIssue({ code: 'custom', message: (err as Error).message, input: text });
    }
  })
  .meta({
    description: 'host:port, IPv4 address, CIDR or CIDR:port; 127.0.0.1:<port> or localhost:<port> reaches a host service through the node.',
    examples: ['api.example.com:443', '203.0.113.0/24', '10.0.0.0/8:5432', '127.0.0.1:5432'],
  });

const mode = z.enum(['none', 'public'], { error: (issue) => `must be "none", "public" or a list of host:port / CIDR entries (got ${JSON.stringify(issue.input)})` });

const egress = z
  .union([mode, z.array(entry).max(MAX_EGRESS_ENTRIES)], {
    error: (issue) => (Array.isArray(issue.input) ? undefined : 'must be "none", "public" or a list of host:port / CIDR entries'),
  })
  .describe(
    'Where the function may connect. "public" (default): the public internet only, never the host, loopback, private (RFC 1918, CGNAT), link-local or multicast ranges. "none": nowhere. A list: only those destinations.',
  );

export const networkSchema = z.strictObject({ egress }).describe('Outbound network policy of the function (applied when the node isolates instances in their own network namespace).');
