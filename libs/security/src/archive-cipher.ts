import {
  createCipheriv,
  createDecipheriv,
  createHash,
  createHmac,
  hkdfSync,
  randomBytes,
  timingSafeEqual,
} from 'node:crypto';
import { Transform, type TransformCallback } from 'node:stream';

/**
 * Backup archives encrypted at rest with a tenant's data key, as a stream (archives are gigabytes and pass through
 * the worker on their way from the database host to the backup target): AES-256-CTR then HMAC-SHA256 over the
 * header and the ciphertext (encrypt-then-MAC), both from OpenSSL through node:crypto. Each archive gets its own
 * keys, derived with HKDF-SHA256 from the data key, a random salt and the archive's id, so an archive cannot be
 * swapped for another one of the same tenant and no key/IV pair is ever reused.
 *
 * Layout: "DBAASBK1" | salt (32) | iv (16) | ciphertext | tag (32).
 */
export const ARCHIVE_ENCRYPTION = 'aes-256-ctr+hmac-sha256';

const MAGIC = Buffer.from('DBAASBK1', 'ascii');
const SALT_BYTES = 32;
const IV_BYTES = 16;
const TAG_BYTES = 32;
const HEADER_BYTES = MAGIC.length + SALT_BYTES + IV_BYTES;

/** The archive is not what was written with this key (a byte changed, cut short, another archive or key). */
export class ArchiveAuthenticationError extends Error {}

/** A new tenant data key: 32 random bytes, base64 (to be sealed with the master key before it is stored). */
export function generateDataKey(): string {
  return randomBytes(32).toString('base64');
}

function archiveKeys(dataKey: Buffer, salt: Buffer, archiveId: string): { enc: Buffer; mac: Buffer } {
  if (dataKey.length !== 32) throw new Error('a backup data key is 32 bytes');
  const okm = Buffer.from(hkdfSync('sha256', dataKey, salt, `dbaas backup archive v1 ${archiveId}`, 64));
  return { enc: okm.subarray(0, 32), mac: okm.subarray(32) };
}

/** Encrypts what is written to it; the output is the stored archive. */
export function encryptArchive(dataKey: Buffer, archiveId: string): Transform {
  const salt = randomBytes(SALT_BYTES);
  const iv = randomBytes(IV_BYTES);
  const keys = archiveKeys(dataKey, salt, archiveId);
  const cipher = createCipheriv('aes-256-ctr', keys.enc, iv);
  const hmac = createHmac('sha256', keys.mac);
  const header = Buffer.concat([MAGIC, salt, iv]);
  hmac.update(header);
  let headerSent = false;
  const sendHeader = (t: Transform) => {
    if (headerSent) return;
    headerSent = true;
    t.push(header);
  };
  return new Transform({
    transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback) {
      sendHeader(this);
      const out = cipher.update(chunk);
      hmac.update(out);
      cb(null, out);
    },
    flush(cb: TransformCallback) {
      sendHeader(this);
      const last = cipher.final(); // empty for CTR, kept for form
      hmac.update(last);
      if (last.length) this.push(last);
      cb(null, hmac.digest());
    },
  });
}

/**
 * Decrypts an archive as it streams. The tag is only known at the end: the stream errors there (with
 * ArchiveAuthenticationError) if anything was altered, so whoever consumes the plaintext must treat what it
 * wrote as void unless the stream ends cleanly (a restore checks the recorded SHA-256 before it starts, too).
 */
export function decryptArchive(dataKey: Buffer, archiveId: string): Transform {
  let head = Buffer.alloc(0);
  let decipher: ReturnType<typeof createDecipheriv> | undefined;
  let hmac: ReturnType<typeof createHmac> | undefined;
  // The last TAG_BYTES seen so far: they may be the tag, so they are held back from the cipher.
  let held = Buffer.alloc(0);
  const refuse = (why: string) =>
    new ArchiveAuthenticationError(
      `the archive failed authentication (${why}): altered, truncated or not this backup's`,
    );
  const body = (t: Transform, data: Buffer) => {
    const all = held.length ? Buffer.concat([held, data]) : data;
    const cut = Math.max(0, all.length - TAG_BYTES);
    held = Buffer.from(all.subarray(cut));
    if (cut === 0) return;
    const ct = all.subarray(0, cut);
    hmac!.update(ct);
    t.push(decipher!.update(ct));
  };
  return new Transform({
    transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback) {
      try {
        if (!decipher) {
          head = Buffer.concat([head, chunk]);
          if (head.length < HEADER_BYTES) return cb();
          if (!head.subarray(0, MAGIC.length).equals(MAGIC)) return cb(refuse('not an encrypted archive'));
          const salt = head.subarray(MAGIC.length, MAGIC.length + SALT_BYTES);
          const iv = head.subarray(MAGIC.length + SALT_BYTES, HEADER_BYTES);
          const keys = archiveKeys(dataKey, salt, archiveId);
          decipher = createDecipheriv('aes-256-ctr', keys.enc, iv);
          hmac = createHmac('sha256', keys.mac).update(head.subarray(0, HEADER_BYTES));
          const rest = head.subarray(HEADER_BYTES);
          head = Buffer.alloc(0);
          if (rest.length) body(this, rest);
          return cb();
        }
        body(this, chunk);
        cb();
      } catch (err) {
        cb(err as Error);
      }
    },
    flush(cb: TransformCallback) {
      if (!decipher || held.length < TAG_BYTES) return cb(refuse('cut short'));
      const expected = hmac!.digest();
      if (!timingSafeEqual(expected, held)) return cb(refuse('wrong tag'));
      const last = decipher.final();
      cb(null, last.length ? last : undefined);
    },
  });
}

/** Passes bytes through and hashes them (SHA-256): `hex()` once the stream has ended. */
export class Sha256Stream extends Transform {
  private readonly hash = createHash('sha256');
  private digest?: string;

  override _transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback): void {
    this.hash.update(chunk);
    cb(null, chunk);
  }

  override _flush(cb: TransformCallback): void {
    this.digest = this.hash.digest('hex');
    cb();
  }

  hex(): string {
    if (this.digest === undefined) throw new Error('the stream has not ended');
    return this.digest;
  }
}
