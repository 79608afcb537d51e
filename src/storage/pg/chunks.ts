/**
 * Object bytes to and from `bucket_chunks`, 1 MB rows at a time: an upload is hashed and inserted
 * as it arrives (never held whole in memory), a download is fetched chunk by chunk as the reader
 * asks for more, and replaced blobs are collected after a grace period.
 */
import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { withTransaction, type PgPool, type Queryable } from '../../pg/index.js';
import { NimbusError } from '../../shared/errors.js';

/** Bytes per chunk row: large enough that a 64 MB object is 64 rows, small enough to stream. */
export const CHUNK_BYTES = 1024 * 1024;

/**
 * Insert `body` as chunks of `blob` (inside the caller's transaction); over `max` bytes it throws
 * VALUE_TOO_LARGE and the caller's rollback removes what was written.
 */
export async function writeChunks(db: Queryable, blob: string, body: AsyncIterable<Uint8Array>, max: number): Promise<{ size: number; etag: string }> {
  const hash = createHash('md5');
  let size = 0;
  let n = 0;
  let pending: Buffer[] = [];
  let pendingBytes = 0;
  const insert = async (data: Buffer) => {
    await db.query('INSERT INTO bucket_chunks (blob, n, data) VALUES ($1, $2, $3)', [blob, n++, data]);
  };
  for await (const piece of body) {
    size += piece.length;
    if (size > max) throw new NimbusError('VALUE_TOO_LARGE', `an object is at most ${max / 1024 / 1024} MB`);
    hash.update(piece);
    pending.push(Buffer.from(piece.buffer, piece.byteOffset, piece.byteLength));
    pendingBytes += piece.byteLength;
    while (pendingBytes >= CHUNK_BYTES) {
      const all = pending.length === 1 ? pending[0]! : Buffer.concat(pending, pendingBytes);
      await insert(all.subarray(0, CHUNK_BYTES));
      const rest = all.subarray(CHUNK_BYTES);
      pending = rest.length > 0 ? [rest] : [];
      pendingBytes = rest.length;
    }
  }
  if (pendingBytes > 0) await insert(Buffer.concat(pending, pendingBytes));
  return { size, etag: `"${hash.digest('hex')}"` };
}

/**
 * The chunks of `blob` as a byte stream, one pool query per chunk when the consumer wants more (at
 * most one chunk ahead), so a slow download holds no connection between chunks. A blob is kept
 * for a grace period after its object was replaced or deleted (bucket_garbage), so a download
 * started before finds every chunk; one slower than the grace period fails instead of mixing bytes.
 */
export class ChunkStream extends Readable {
  private next = 0;

  constructor(
    private readonly db: Queryable,
    private readonly blob: string,
    private readonly chunks: number,
  ) {
    super();
  }

  override _read(): void {
    if (this.next >= this.chunks) {
      this.push(null);
      return;
    }
    const n = this.next++;
    this.db.query<{ data: Buffer }>('SELECT data FROM bucket_chunks WHERE blob = $1 AND n = $2', [this.blob, n]).then(
      ({ rows }) => {
        const data = rows[0]?.data;
        if (data === undefined) this.destroy(new Error(`the object was replaced or deleted longer ago than the read began (blob ${this.blob}, chunk ${n} collected)`));
        else this.push(data);
      },
      (err: unknown) => this.destroy(err as Error),
    );
  }
}

/**
 * Delete the chunks of blobs whose grace period is over, a page at a time (SKIP LOCKED: nodes
 * collecting at once take different blobs). Returns how many blobs were collected.
 */
export async function collectGarbage(pool: PgPool, now: number, limit = 100): Promise<number> {
  return withTransaction(pool, async (c) => {
    const { rows } = await c.query<{ blob: string }>(
      'DELETE FROM bucket_garbage WHERE blob IN (SELECT blob FROM bucket_garbage WHERE collect_after <= $1 ORDER BY collect_after LIMIT $2 FOR UPDATE SKIP LOCKED) RETURNING blob',
      [now, limit],
    );
    if (rows.length > 0) await c.query('DELETE FROM bucket_chunks WHERE blob = ANY($1::uuid[])', [rows.map((r) => r.blob)]);
    return rows.length;
  });
}
