import { createHash } from 'node:crypto';

/**
 * OpenSSH's `SHA256:<base64>` host key fingerprint (what `ssh-keygen -lf` prints): 32 bytes, base64 without
 * padding, so 43 characters whose last one carries 2 zero bits. The trailing `=` some tools print is accepted.
 */
const FINGERPRINT = /^SHA256:([A-Za-z0-9+/]{42}[AEIMQUYcgkosw048])=?$/;

export const HOST_KEY_FINGERPRINT_MESSAGE =
  'hostKeyFingerprint must be an OpenSSH SHA256 fingerprint, as `ssh-keygen -lf` prints it: SHA256:<43 base64 chars>';

/** The canonical form (no padding) of a fingerprint, or null when it is not one. */
export function parseHostKeyFingerprint(value: unknown): string | null {
  if (typeof value !== 'string') return null;
  const m = FINGERPRINT.exec(value.trim());
  return m ? `SHA256:${m[1]}` : null;
}

/** The fingerprint of a host key in SSH wire format (the blob ssh2's `hostVerifier` receives). */
export function hostKeyFingerprint(rawKey: Buffer): string {
  return `SHA256:${createHash('sha256').update(rawKey).digest('base64').replace(/=+$/, '')}`;
}
