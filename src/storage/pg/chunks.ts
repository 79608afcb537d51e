/**
 * Object bytes to and from `bucket_chunks`, 1 MB rows at a time: an upload is hashed and inserted
 * as it arrives (never held whole in memory), a download is fetched chunk by chunk as the reader
 * asks for more.
 */
import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import type { PgClient, Queryable } from '../../pg/index.js';
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
 * The chunks of `blob` as a byte stream, one query per chunk when the consumer wants more. It
 * owns `client`, in a REPEATABLE READ transaction opened by the caller, so a replace or delete
 * committed meanwhile cannot cut the read short; the transaction ends and the client goes back to
 * the pool when the stream ends, fails or is destroyed (a client that went away).
 */
export class ChunkStream extends Readable {
  private next = 0;
  private released = false;

  constructor(
    private readonly client: PgClient,
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
    this.client.query<{ data: Buffer }>('SELECT data FROM bucket_chunks WHERE blob = $1 AND n = $2', [this.blob, n]).then(
      ({ rows }) => {
        const data = rows[0]?.data;
        if (data === undefined) this.destroy(new Error(`object bytes missing (blob ${this.blob}, chunk ${n})`));
        else this.push(data);
      },
      (err: unknown) => this.destroy(err as Error),
    );
  }

  override _destroy(err: Error | null, done: (err?: Error | null) => void): void {
    if (this.released) return done(err);
    this.released = true;
    this.client.query(err ? 'ROLLBACK' : 'COMMIT').then(
      () => {
        this.client.release();
        done(err);
      },
      (e: unknown) => {
        this.client.release(e as Error);
        done(err ?? (e as Error));
      },
    );
  }
}
