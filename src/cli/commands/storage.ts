/**
 * Topics and buckets from the command line: `nimbus publish`, `nimbus topics`, `nimbus buckets`,
 * `nimbus cp` (upload, download, or bucket to bucket; `-` is stdin/stdout), `nimbus ls-bucket`,
 * `nimbus rm-object`.
 */
import { readFile, stat, writeFile } from 'node:fs/promises';
import { basename, extname, join } from 'node:path';
import type { Command } from 'commander';
import type { ObjectInfo } from '../../client/storage-types.js';
import { NimbusError } from '../../shared/errors.js';
import type { CliContext } from '../context.js';
import { formatBytes, formatTable, formatTime, printJson, printLine } from '../output.js';
import { type JsonFlag, parseCount } from './options.js';

/** `bucket:key`; anything else is a local path (write `./a:b` for a local file with a colon). */
const REMOTE = /^([a-z0-9][a-z0-9.-]{0,62}):(.+)$/s;

type Side = { bucket: string; key: string } | { path: string };

function side(arg: string): Side {
  const m = REMOTE.exec(arg);
  return m ? { bucket: m[1]!, key: m[2]! } : { path: arg };
}

const TYPES: Record<string, string> = {
  '.json': 'application/json',
  '.txt': 'text/plain; charset=utf-8',
  '.md': 'text/markdown; charset=utf-8',
  '.html': 'text/html; charset=utf-8',
  '.css': 'text/css',
  '.js': 'text/javascript',
  '.csv': 'text/csv',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.gif': 'image/gif',
  '.webp': 'image/webp',
  '.svg': 'image/svg+xml',
  '.pdf': 'application/pdf',
  '.zip': 'application/zip',
  '.gz': 'application/gzip',
};

async function readStdin(): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

/** `<json>` or `@file` (`@-`: stdin), parsed as JSON. */
async function messageArg(arg: string): Promise<unknown> {
  const text = arg === '@-' ? (await readStdin()).toString('utf8') : arg.startsWith('@') ? await readFile(arg.slice(1), 'utf8') : arg;
  try {
    return JSON.parse(text) as unknown;
  } catch (err) {
    throw new NimbusError('BAD_REQUEST', `the message is not valid JSON (${(err as Error).message}); quote it for the shell, e.g. '{"id": 1}', or pass @file.json`);
  }
}

/** `--attribute k=v`, repeated: the value is everything after the first '='. */
function collectAttribute(pair: string, into: Record<string, string>): Record<string, string> {
  const at = pair.indexOf('=');
  if (at <= 0) throw new NimbusError('BAD_REQUEST', `--attribute takes name=value, got "${pair}"`);
  return { ...into, [pair.slice(0, at)]: pair.slice(at + 1) };
}

export function registerStorageCommands(program: Command, ctx: CliContext): void {
  program
    .command('publish')
    .description('publish a JSON message to a topic: each subscribed function gets it')
    .argument('<topic>', 'topic name')
    .argument('<message>', 'JSON text, @file.json, or @- for stdin')
    .option('--batch', 'the message is a JSON array: publish each element (all or none)')
    .option('--attribute <name=value>', 'a message attribute (repeatable): SNS MessageAttributes, SQS messageAttributes', collectAttribute, {})
    .option('--json', 'print {messageIds, deliveries}')
    .action(async (topic: string, message: string, opts: JsonFlag & { batch?: boolean; attribute: Record<string, string> }) => {
      const value = await messageArg(message);
      const client = ctx.client();
      if (opts.batch && !Array.isArray(value)) throw new NimbusError('BAD_REQUEST', 'with --batch the message must be a JSON array of messages');
      const options = { attributes: opts.attribute };
      const out = opts.batch ? await client.publishBatch(topic, value as unknown[], options) : await client.publish(topic, value, options);
      if (opts.json) return printJson(out);
      printLine(`published ${out.messageIds.length} message(s) to ${topic}: ${out.deliveries} deliver${out.deliveries === 1 ? 'y' : 'ies'} queued`);
    });

  program
    .command('topics')
    .description('list topics with the app that owns each and its subscribers')
    .option('--json', 'print the list as JSON')
    .action(async (opts: JsonFlag) => {
      const topics = await ctx.client().listTopics();
      if (opts.json) return printJson({ topics });
      if (topics.length === 0) return printLine("no topics: name one in a function's triggers or bindings");
      printLine(
        formatTable(
          ['TOPIC', 'APP', 'SUBSCRIBERS'],
          topics.map((t) => [t.topic, t.app, t.subscribers.map((s) => `${s.app}/${s.function}`).join(', ') || '-']),
        ),
      );
    });

  program
    .command('buckets')
    .description('list buckets with the app that owns each, their size and subscribers')
    .option('--json', 'print the list as JSON')
    .action(async (opts: JsonFlag) => {
      const buckets = await ctx.client().listBuckets();
      if (opts.json) return printJson({ buckets });
      if (buckets.length === 0) return printLine("no buckets: name one in a function's triggers or bindings");
      printLine(
        formatTable(
          ['BUCKET', 'APP', 'OBJECTS', 'SIZE', 'SUBSCRIBERS'],
          buckets.map((b) => [b.bucket, b.app, String(b.objects), formatBytes(b.bytes), b.subscribers.map((s) => `${s.app}/${s.function}`).join(', ') || '-']),
        ),
      );
    });

  program
    .command('cp')
    .description('copy an object: upload a file, download one, or copy between buckets')
    .argument('<src>', 'bucket:key, a local file, or - for stdin')
    .argument('<dst>', 'bucket:key, a local file or directory, or - for stdout')
    .option('--content-type <type>', 'Content-Type of an upload (default: from the file extension)')
    .option('--json', "print the stored object's info (uploads) as JSON")
    .addHelpText('after', '\nExamples:\n  nimbus cp photo.png uploads:images/photo.png\n  nimbus cp uploads:images/photo.png ./photo.png\n  echo hi | nimbus cp - uploads:hello.txt')
    .action(async (srcArg: string, dstArg: string, opts: JsonFlag & { contentType?: string }) => {
      const src = side(srcArg);
      const dst = side(dstArg);
      const client = ctx.client();
      if ('path' in src && 'path' in dst) throw new NimbusError('BAD_REQUEST', 'one side of cp must be bucket:key (e.g. `nimbus cp file.txt uploads:file.txt`)');
      if ('bucket' in dst) {
        let body: Buffer;
        let type = opts.contentType;
        if ('path' in src) {
          body = src.path === '-' ? await readStdin() : await readFile(src.path);
          type ??= src.path === '-' ? undefined : TYPES[extname(src.path).toLowerCase()];
        } else {
          const got = await client.getObject(src.bucket, src.key);
          body = got.body;
          type ??= got.info.contentType;
        }
        const info = await client.putObject(dst.bucket, dst.key, body, type ?? 'application/octet-stream');
        if (opts.json) return printJson(info);
        return printLine(`${'path' in src ? src.path : `${src.bucket}:${src.key}`} → ${dst.bucket}:${dst.key} (${formatBytes(info.size)}, ${info.etag})`);
      }
      const remote = src as { bucket: string; key: string };
      const { info, body } = await client.getObject(remote.bucket, remote.key);
      if (dst.path === '-') {
        process.stdout.write(body);
        return;
      }
      const isDir =
        dst.path.endsWith('/') ||
        (await stat(dst.path).then(
          (s) => s.isDirectory(),
          () => false,
        ));
      const target = isDir ? join(dst.path, basename(remote.key)) : dst.path;
      await writeFile(target, body);
      if (opts.json) return printJson({ ...info, path: target });
      printLine(`${remote.bucket}:${remote.key} → ${target} (${formatBytes(info.size)})`);
    });

  program
    .command('ls-bucket')
    .description("list a bucket's objects in key order")
    .argument('<bucket>', 'bucket name')
    .option('--prefix <prefix>', 'only keys starting with this')
    .option('-n, --limit <n>', 'at most this many objects (default: all)', parseCount)
    .option('--json', 'print {objects} as JSON')
    .action(async (bucket: string, opts: JsonFlag & { prefix?: string; limit?: number }) => {
      const client = ctx.client();
      const objects: ObjectInfo[] = [];
      let cursor: string | undefined;
      do {
        const left = opts.limit === undefined ? 1000 : Math.min(1000, opts.limit - objects.length);
        if (left <= 0) break;
        const page = await client.listObjects(bucket, { prefix: opts.prefix, cursor, limit: left });
        objects.push(...page.objects);
        cursor = page.cursor ?? undefined;
      } while (cursor !== undefined);
      if (opts.json) return printJson({ objects });
      if (objects.length === 0) return printLine(`no objects${opts.prefix ? ` with prefix "${opts.prefix}"` : ''} in ${bucket}`);
      printLine(
        formatTable(
          ['KEY', 'SIZE', 'TYPE', 'UPLOADED'],
          objects.map((o) => [o.key, formatBytes(o.size), o.contentType, formatTime(o.uploadedAt)]),
        ),
      );
    });

  program
    .command('rm-object')
    .description("delete an object (its bucket's subscribers get a deleted event)")
    .argument('<object>', 'bucket:key')
    .option('--json', 'print {deleted}')
    .action(async (arg: string, opts: JsonFlag) => {
      const target = side(arg);
      if (!('bucket' in target)) throw new NimbusError('BAD_REQUEST', `"${arg}" is not bucket:key`);
      const out = await ctx.client().deleteObject(target.bucket, target.key);
      if (opts.json) return printJson(out);
      printLine(out.deleted ? `deleted ${arg}` : `${arg} did not exist`);
    });
}
