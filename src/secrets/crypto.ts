/**
 * Secret values at rest: AES-256-GCM under the node's master key (node:crypto).
 *
 * - a fresh random 96-bit IV per encryption (GCM's recommended size; never reused under one key
 *   in practice: 2^-32 collision odds only after ~2^32 encryptions of one key);
 * - `<app>\0<name>` as additional authenticated data, so a ciphertext copied onto another app's or
 *   name's row fails to decrypt instead of handing one secret's value to another;
 * - the 128-bit tag makes any change to IV, ciphertext or tag an error, never garbage.
 *
 * The key check value lets a node tell a wrong master key at start-up: an encryption of a fixed
 * text under the key, with its own AAD (no secret can be named like it, names cannot hold `\0`).
 */
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { NimbusError } from '../shared/errors.js';

/** One encrypted value as stored: IV, ciphertext and GCM tag, each base64. */
export interface Sealed {
  iv: string;
  data: string;
  tag: string;
}

const KEY_BYTES = 32;
const IV_BYTES = 12;
const CHECK_AAD = 'nimbus\0master-key-check';
const CHECK_TEXT = 'nimbus master key check v1';

/** The AAD that binds a value to its app and name. */
export function secretAad(app: string, name: string): string {
  return `${app}\0${name}`;
}

/** Encrypt `plaintext` under `key`, bound to `aad`. */
export function seal(key: Buffer, plaintext: string, aad: string): Sealed {
  const iv = randomBytes(IV_BYTES);
  const cipher = createCipheriv('aes-256-gcm', key, iv);
  cipher.setAAD(Buffer.from(aad, 'utf8'));
  const data = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
  return { iv: iv.toString('base64'), data: data.toString('base64'), tag: cipher.getAuthTag().toString('base64') };
}

/** Decrypt; throws MASTER_KEY_INVALID when the key, the AAD or any stored byte is not what was sealed. */
export function open(key: Buffer, sealed: Sealed, aad: string): string {
  try {
    const decipher = createDecipheriv('aes-256-gcm', key, Buffer.from(sealed.iv, 'base64'));
    decipher.setAAD(Buffer.from(aad, 'utf8'));
    decipher.setAuthTag(Buffer.from(sealed.tag, 'base64'));
    return Buffer.concat([decipher.update(Buffer.from(sealed.data, 'base64')), decipher.final()]).toString('utf8');
  } catch (err) {
    // The message must not echo anything stored: the caller names the secret.
    throw new NimbusError('SECRET_UNREADABLE', 'the stored ciphertext does not decrypt under the master key (wrong key, or the row was altered or moved)', { cause: err });
  }
}

/** The key check value stored beside the secrets. */
export function keyCheck(key: Buffer): Sealed {
  return seal(key, CHECK_TEXT, CHECK_AAD);
}

/** Whether `key` is the key `check` was made with. */
export function verifyKeyCheck(key: Buffer, check: Sealed): boolean {
  try {
    return open(key, check, CHECK_AAD) === CHECK_TEXT;
  } catch {
    return false;
  }
}

/** A new random master key. */
export function newMasterKey(): Buffer {
  return randomBytes(KEY_BYTES);
}

/** A master key as written (NIMBUS_MASTER_KEY, master.key): 64 hex digits or base64 of 32 bytes. */
export function parseMasterKey(text: string, from: string): Buffer {
  const t = text.trim();
  const key = /^[0-9a-fA-F]{64}$/.test(t) ? Buffer.from(t, 'hex') : /^[A-Za-z0-9+/_-]+={0,2}$/.test(t) ? Buffer.from(t, 'base64') : undefined;
  if (key?.length !== KEY_BYTES) {
    throw new NimbusError('MASTER_KEY_INVALID', `${from} is not a master key: it must be 32 bytes written as 64 hex digits or base64 (make one with \`openssl rand -base64 32\`)`);
  }
  return key;
}
