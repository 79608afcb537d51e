/**
 * Route rate limits (`rateLimit:`): one token bucket per (route, client), in this node's memory.
 *
 * A bucket holds up to `burst` tokens and gains `requests` tokens every `perMs`, continuously (a
 * fraction of a token per millisecond); a request takes one token or is refused with the time
 * until one is back. A bucket is created full. Buckets are not shared between nodes: in a cluster
 * of N nodes behind a balancer a client may get up to N times the limit.
 *
 * Memory is bounded: at most `maxBuckets` buckets, least recently used dropped first (a Map keeps
 * insertion order; a touched bucket is moved to the end). Dropping a bucket forgets what its
 * client spent, so a flood of distinct clients can at worst give an idle client a fresh bucket;
 * it can never make the node hold more than `maxBuckets` of them.
 */
import type { RateLimit } from '../domain/index.js';
import type { Clock } from '../shared/clock.js';

export const DEFAULT_MAX_BUCKETS = 100_000;

export type Take = { ok: true; remaining: number } | { ok: false; retryAfterMs: number };

interface Bucket {
  tokens: number;
  at: number;
}

export class TokenBuckets {
  private readonly buckets = new Map<string, Bucket>();

  constructor(
    private readonly clock: Clock,
    readonly maxBuckets = DEFAULT_MAX_BUCKETS,
  ) {}

  get size(): number {
    return this.buckets.size;
  }

  /** Take one token from `key`'s bucket under `limit`. */
  take(key: string, limit: Pick<RateLimit, 'requests' | 'perMs' | 'burst'>): Take {
    const now = this.clock.now();
    const rate = limit.requests / limit.perMs;
    const found = this.buckets.get(key);
    const bucket = found ?? { tokens: limit.burst, at: now };
    if (found) {
      this.buckets.delete(key);
      // A clock that goes back adds nothing (never a negative refill).
      bucket.tokens = Math.min(limit.burst, bucket.tokens + Math.max(0, now - bucket.at) * rate);
      bucket.at = now;
    }
    this.buckets.set(key, bucket);
    while (this.buckets.size > this.maxBuckets) {
      const oldest = this.buckets.keys().next().value;
      if (oldest === undefined) break;
      this.buckets.delete(oldest);
    }
    if (bucket.tokens >= 1) {
      bucket.tokens -= 1;
      return { ok: true, remaining: Math.floor(bucket.tokens) };
    }
    return { ok: false, retryAfterMs: Math.ceil((1 - bucket.tokens) / rate) };
  }
}
