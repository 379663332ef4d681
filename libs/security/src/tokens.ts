import { createHash, randomBytes, randomInt } from 'node:crypto';

const KEY_PREFIX = 'dbk_';

/** A new API key: shown once to its owner; only its SHA-256 is stored (keys are random, so no slow hash is needed). */
export function generateApiKey(): { key: string; prefix: string; hash: string } {
  const key = KEY_PREFIX + randomBytes(32).toString('base64url');
  return { key, prefix: key.slice(0, KEY_PREFIX.length + 6), hash: hashApiKey(key) };
}

export function hashApiKey(key: string): string {
  return createHash('sha256').update(key, 'utf8').digest('hex');
}

const ALPHABET = 'ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789';

/**
 * A strong database password: 32 chars from an unambiguous alphanumeric alphabet (~185 bits), with no
 * character that needs quoting in a URI, a shell or a SQL literal.
 */
export function generatePassword(length = 32): string {
  let out = '';
  for (let i = 0; i < length; i++) out += ALPHABET[randomInt(ALPHABET.length)];
  return out;
}
