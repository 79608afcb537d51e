/**
 * `Secrets`: the one service behind `nimbus secret …`, the control API's secret routes and every
 * reader of plaintexts (it implements `SecretSource`). It seals values before the store sees them
 * and opens them for the runtime (an instance's env) and, later, the gateway (route auth).
 *
 * A change of value (set or rm) calls `changed(app, name)`: the composition root replaces the
 * instances of the functions that use it (they drain as on a version switch), so the next
 * invocations see the new value. Removing a secret an active function names is refused
 * (SECRET_IN_USE): deploy without the reference first. Writes run one at a time, and a removal also
 * under the deploy lock, so no deploy can start using a secret while it is being removed.
 */
import { renameSync, rmSync } from 'node:fs';
import { z } from 'zod';
import { appNameSchema, secretNameSchema } from '../manifest/index.js';
import type { Clock } from '../shared/clock.js';
import { NimbusError } from '../shared/errors.js';
import { keyCheck, newMasterKey, open, seal, secretAad, verifyKeyCheck } from './crypto.js';
import { writeKeyFile, type MasterKey } from './master-key.js';
import type { SecretStore } from './port.js';
import type { SecretSource } from './source.js';

/** Largest secret value, bytes of UTF-8. */
export const MAX_SECRET_BYTES = 64 * 1024;

/** What `ls` shows: never the value. */
export interface SecretInfo {
  name: string;
  updatedAt: number;
}

export interface SecretsOptions {
  store: SecretStore;
  key: MasterKey;
  clock: Clock;
  /** Active functions of `app` whose config names the secret (`app/fn` for messages). */
  users?: (app: string, name: string) => string[];
  /** The secret's value changed or it is gone: replace instances that received it. */
  changed?: (app: string, name: string) => void;
  /** Runs `work` under the deploy lock (Deployments.exclusive). */
  exclusive?: <T>(work: () => Promise<T>) => Promise<T>;
  /** A set or rm committed on this node (a cluster tells the other nodes, which call `invalidate`). */
  published?: (app: string, name: string) => void;
  /** After a rotation committed: re-encrypt what else is sealed under the master key (API keys' AWS secrets). */
  rotated?: (previous: Buffer, next: Buffer) => Promise<void>;
}

/** Entries the value cache holds before it starts over (names come from deployed manifests: few). */
const MAX_CACHED = 10_000;

export class Secrets implements SecretSource {
  private key: MasterKey;
  /** The new key while a rotation commits (readers may meet rows under either key). */
  private rotatingTo: Buffer | undefined;
  private queue: Promise<unknown> = Promise.resolve();

  constructor(private readonly options: SecretsOptions) {
    this.key = options.key;
  }

  /** The master key in use now (API keys seal their AWS secrets under it too). */
  get masterKey(): Buffer {
    return this.key.key;
  }

  /** Where the master key comes from: `option` (NIMBUS_MASTER_KEY) or `file`. */
  get keySource(): MasterKey['source'] {
    return this.key.source;
  }

  /**
   * Decrypted values (and misses) by app and name. Route auth reads a route's key on every request,
   * and a store read plus a decryption per request halved an API-key route's throughput. This
   * service is the node's only writer: set and remove clear the entry (rotation keeps values).
   */
  private readonly cache = new Map<string, string | undefined>();
  /** Bumped on every write, so a read that raced a write does not cache the old value. */
  private generation = 0;

  async get(app: string, name: string): Promise<string | undefined> {
    const k = `${app}\0${name}`;
    if (this.cache.has(k)) return this.cache.get(k);
    const seen = this.generation;
    const value = await this.read(app, name);
    if (seen === this.generation) {
      if (this.cache.size >= MAX_CACHED) this.cache.clear();
      this.cache.set(k, value);
    }
    return value;
  }

  /**
   * Another node of the cluster set or removed the secret: drop the cached value and replace the
   * instances that received it, as a set on this node does.
   */
  invalidate(app: string, name: string): void {
    this.forget(app, name);
    this.options.changed?.(app, name);
  }

  private forget(app: string, name: string): void {
    this.generation++;
    this.cache.delete(`${app}\0${name}`);
  }

  private async read(app: string, name: string): Promise<string | undefined> {
    const row = await this.options.store.get(app, name);
    if (!row) return undefined;
    const aad = secretAad(app, name);
    try {
      return open(this.key.key, row.sealed, aad);
    } catch (err) {
      // A rotation may have committed and not swapped keys yet: GCM refuses a wrong key, so trying it is safe.
      if (this.rotatingTo) return open(this.rotatingTo, row.sealed, aad);
      await this.checkMasterKey();
      throw new NimbusError('SECRET_UNREADABLE', `secret "${name}" of app "${app}" does not decrypt under the master key: set it again`, { cause: err });
    }
  }

  /**
   * MASTER_KEY_INVALID when the store's key check no longer opens under this node's master key: in
   * a cluster another node ran `rotate-master`. Nothing may be sealed under the old key from then on
   * (the other nodes could not read it), and values this node has not cached cannot be read.
   */
  async checkMasterKey(): Promise<void> {
    const check = await this.options.store.getKeyCheck();
    if (!check || verifyKeyCheck(this.key.key, check) || (this.rotatingTo && verifyKeyCheck(this.rotatingTo, check))) return;
    throw new NimbusError(
      'MASTER_KEY_INVALID',
      "this node's master key is no longer the one the secrets are sealed under (another node of the cluster ran `nimbus secret rotate-master`): " +
        'restart this node with NIMBUS_MASTER_KEY set to the new key; until then it cannot write secrets or read ones it has not cached',
    );
  }

  /** The env an instance gets for `refs` (env var → secret name); SECRET_NOT_FOUND names what is missing. */
  async envFor(app: string, fn: string, refs: Record<string, string>): Promise<Record<string, string>> {
    const env: Record<string, string> = {};
    for (const [variable, secret] of Object.entries(refs)) {
      const value = await this.get(app, secret);
      if (value === undefined) throw missing(app, fn, `env.${variable}`, secret);
      env[variable] = value;
    }
    return env;
  }

  async list(app: string): Promise<SecretInfo[]> {
    checkApp(app);
    return (await this.options.store.list(app)).map((r) => ({ name: r.name, updatedAt: r.updatedAt }));
  }

  /** Create or replace; instances that received the old value are replaced. */
  set(app: string, name: string, value: unknown): Promise<SecretInfo & { created: boolean }> {
    checkApp(app);
    checkName(name);
    const parsed = z.string().safeParse(value);
    if (!parsed.success) throw new NimbusError('BAD_REQUEST', 'the secret value must be a string: send {"value": "…"}');
    if (Buffer.byteLength(parsed.data) > MAX_SECRET_BYTES) throw new NimbusError('VALUE_TOO_LARGE', `a secret value is at most ${MAX_SECRET_BYTES / 1024} KB`);
    if (parsed.data.length === 0) throw new NimbusError('BAD_REQUEST', 'the secret value is empty');
    return this.serial(async () => {
      await this.checkMasterKey();
      const created = (await this.options.store.get(app, name)) === undefined;
      const updatedAt = this.options.clock.now();
      await this.options.store.put({ app, name, sealed: seal(this.key.key, parsed.data, secretAad(app, name)), updatedAt });
      this.forget(app, name);
      this.options.changed?.(app, name);
      this.options.published?.(app, name);
      return { name, updatedAt, created };
    });
  }

  /** Delete; SECRET_IN_USE while an active function names it. */
  remove(app: string, name: string): Promise<{ deleted: true }> {
    checkApp(app);
    checkName(name);
    const exclusive = this.options.exclusive ?? (<T>(work: () => Promise<T>) => work());
    return this.serial(() =>
      exclusive(async () => {
        const users = this.options.users?.(app, name) ?? [];
        if (users.length > 0) {
          throw new NimbusError('SECRET_IN_USE', `secret "${name}" is used by ${users.join(', ')}: deploy without the reference first, then remove it`, {
            details: { secret: name, functions: users },
          });
        }
        if (!(await this.options.store.delete(app, name)))
          throw new NimbusError('SECRET_NOT_FOUND', `app "${app}" has no secret "${name}"; see \`nimbus secret ls ${app}\``, { details: { secret: name } });
        this.forget(app, name);
        this.options.changed?.(app, name);
        this.options.published?.(app, name);
        return { deleted: true as const };
      }),
    );
  }

  /**
   * Re-encrypt every secret under a new master key in one transaction. With the key file, the node
   * makes the key and replaces the file; with NIMBUS_MASTER_KEY, the caller gives the new key and
   * sets NIMBUS_MASTER_KEY to it before the next start. Values do not change: no instance restarts.
   */
  rotateMaster(next?: Buffer): Promise<{ rotated: number; keySource: MasterKey['source'] }> {
    if (this.key.source === 'option' && next === undefined) {
      throw new NimbusError(
        'BAD_REQUEST',
        'this node reads its master key from NIMBUS_MASTER_KEY: pass the new key (`nimbus secret rotate-master --new-key-file <file>`), then set NIMBUS_MASTER_KEY to it before the next start',
      );
    }
    return this.serial(async () => {
      await this.checkMasterKey();
      const key = next ?? newMasterKey();
      const rows = await this.options.store.all();
      const rewrapped = rows.map((r) => {
        const aad = secretAad(r.app, r.name);
        return { ...r, sealed: seal(key, open(this.key.key, r.sealed, aad), aad) };
      });
      const pending = `${this.key.file}.next`;
      if (this.key.source === 'file') writeKeyFile(pending, key, false);
      this.rotatingTo = key;
      try {
        await this.options.store.rewrap(rewrapped, keyCheck(key));
      } catch (err) {
        if (this.key.source === 'file') rmSync(pending, { force: true });
        throw err;
      } finally {
        this.rotatingTo = undefined;
      }
      if (this.key.source === 'file') renameSync(pending, this.key.file);
      const previous = this.key.key;
      this.key = { ...this.key, key };
      await this.options.rotated?.(previous, key);
      return { rotated: rows.length, keySource: this.key.source };
    });
  }

  private serial<T>(work: () => Promise<T>): Promise<T> {
    const run = this.queue.then(work, work);
    this.queue = run.catch(() => {});
    return run;
  }
}

/** SECRET_NOT_FOUND for a reference: names the function, where it sits and the secret. */
export function missing(app: string, fn: string, where: string, secret: string): NimbusError {
  return new NimbusError('SECRET_NOT_FOUND', `function "${fn}" names secret "${secret}" in ${where}, but app "${app}" has no such secret: run \`nimbus secret set ${app} ${secret}\` first`, {
    details: { function: fn, where, secret },
  });
}

function checkApp(app: string): void {
  if (!appNameSchema.safeParse(app).success) throw new NimbusError('BAD_REQUEST', `"${app}" is not an app name`);
}

function checkName(name: string): void {
  const r = secretNameSchema.safeParse(name);
  if (!r.success) throw new NimbusError('BAD_REQUEST', `secret name "${name}": ${r.error.issues[0]?.message ?? 'invalid'}`);
}
