import type { Transform } from 'node:stream';

/** A stream that passes bytes through and hashes them (SHA-256): `hex()` once it has ended. */
export interface HashingStream extends Transform {
  hex(): string;
}

/**
 * The platform's secrets and archive encryption: generated passwords and API keys, tenant backup keys, and the
 * authenticated encryption of backup archives. Implemented by libs/security. (Sealing stored secrets: SECRET_BOX.)
 */
export const CRYPTOGRAPHY = Symbol('CRYPTOGRAPHY');
export interface Cryptography {
  /** A random password for a database account. */
  generatePassword(): string;
  /** A new API key, the prefix it is found by, and the hash that is stored (never the key). */
  generateApiKey(): { key: string; prefix: string; hash: string };
  hashApiKey(key: string): string;
  /** A new tenant data key for backups (to be sealed before it is stored). */
  generateDataKey(): string;
  /** The name recorded on a backup for the encryption its archive has. */
  readonly archiveEncryption: string;
  /** Encrypts an archive stream with a tenant's data key, bound to the archive's id. */
  encryptArchive(dataKey: Buffer, archiveId: string): Transform;
  /** Decrypts and authenticates; a stream that fails with an authentication error when the archive was altered. */
  decryptArchive(dataKey: Buffer, archiveId: string): Transform;
  /** Whether `err` says the archive is not what was written with this key (altered, cut short, another one). */
  isArchiveAuthenticationError(err: unknown): err is Error;
  sha256Stream(): HashingStream;
}
