/**
 * Object bytes to and from disk in chunks, never as one synchronous step: a 60 MB object is hashed
 * and written 1 MB (or one network chunk) at a time with an await between, so the gateway and the
 * control API keep answering while it moves (issue 8), and a body is never held whole in memory
 * on its way from the network to disk.
 */
import { createHash, randomUUID } from 'node:crypto';
import { open, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { NimbusError } from '../shared/errors.js';

/** Slices a buffer already in memory is written in. */
const SLICE = 1024 * 1024;

export interface WrittenFile {
  /** The temporary file's final name (the caller renames `.tmp-<file>` to it). */
  file: string;
  tmp: string;
  size: number;
  /** Quoted hex MD5, as S3 does. */
  etag: string;
}

/** A buffer as a sequence of slices. */
export async function* slices(body: Buffer): AsyncGenerator<Buffer> {
  for (let i = 0; i < body.length; i += SLICE) yield body.subarray(i, Math.min(body.length, i + SLICE));
}

/**
 * Write `body` to `<dir>/.tmp-<uuid>` (fsync'd), hashing it on the way; over `max` bytes the
 * file is removed and VALUE_TOO_LARGE thrown. Any failure removes the temporary file.
 */
export async function writeTempFile(dir: string, body: AsyncIterable<Uint8Array>, max: number): Promise<WrittenFile> {
  const file = randomUUID();
  const tmp = join(dir, `.tmp-${file}`);
  const fh = await open(tmp, 'wx', 0o600);
  const hash = createHash('md5');
  let size = 0;
  try {
    for await (const chunk of body) {
      size += chunk.length;
      if (size > max) throw new NimbusError('VALUE_TOO_LARGE', `an object is at most ${max / 1024 / 1024} MB`);
      hash.update(chunk);
      for (let off = 0; off < chunk.length;) off += (await fh.write(chunk, off, chunk.length - off)).bytesWritten;
    }
    await fh.sync();
  } catch (err) {
    await fh.close();
    await rm(tmp, { force: true });
    throw err;
  }
  await fh.close();
  return { file, tmp, size, etag: `"${hash.digest('hex')}"` };
}
