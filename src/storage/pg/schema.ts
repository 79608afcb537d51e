/**
 * The object store's tables on PostgreSQL (component `objects` in nimbus_migrations). Append,
 * never edit: migrations are positional.
 *
 *   bucket_objects  one row per object, scoped to the app that owned the bucket when it was
 *                   written; keys compare bytewise (COLLATE "C") so lists run in code point
 *                   order, as on SQLite, and a prefix is a primary-key range.
 *   bucket_chunks   the bytes, in 1 MB rows under a random blob id per write: a replace writes a
 *                   new blob and switches the row to it, so a reader never sees half of each.
 *                   STORAGE EXTERNAL: stored out of line without compression (objects are often
 *                   compressed already; pglz on every 1 MB would cost CPU for nothing).
 *   bucket_garbage  blobs no row points to any more (replaced, deleted, purged), collected after
 *                   a grace period: a download under way reads chunk by chunk without holding a
 *                   connection or a snapshot, and still finds the bytes of the object it started.
 *   bucket_usage    bytes per app, a running total updated in each write's transaction; its row
 *                   lock also serialises an app's writes, so the quota check is exact.
 *   bucket_outbox   bucket events committed with their change, moved to the queue afterwards.
 */
export const OBJECT_MIGRATIONS: readonly string[] = [
  `CREATE TABLE bucket_objects (
     app text NOT NULL,
     bucket text NOT NULL,
     key text COLLATE "C" NOT NULL,
     blob uuid NOT NULL,
     size bigint NOT NULL,
     etag text NOT NULL,
     content_type text NOT NULL,
     uploaded_at bigint NOT NULL,
     PRIMARY KEY (app, bucket, key));
   CREATE TABLE bucket_chunks (
     blob uuid NOT NULL,
     n integer NOT NULL,
     data bytea NOT NULL,
     PRIMARY KEY (blob, n));
   ALTER TABLE bucket_chunks ALTER COLUMN data SET STORAGE EXTERNAL;
   CREATE TABLE bucket_garbage (
     blob uuid PRIMARY KEY,
     collect_after bigint NOT NULL);
   CREATE INDEX bucket_garbage_due ON bucket_garbage (collect_after);
   CREATE TABLE bucket_usage (
     app text PRIMARY KEY,
     bytes bigint NOT NULL);
   CREATE TABLE bucket_outbox (
     seq bigserial PRIMARY KEY,
     event text NOT NULL,
     created_at bigint NOT NULL);`,
];

/** Every table of the component (tests truncate them between cases). */
export const OBJECT_TABLES = ['bucket_objects', 'bucket_chunks', 'bucket_garbage', 'bucket_usage', 'bucket_outbox'] as const;
