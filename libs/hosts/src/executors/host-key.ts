import { hostKeyFingerprint } from '@app/domain/shared/host-key';

/**
 * Decides on the key an SSH server presents (its SHA256 fingerprint), before any credential is sent: accepted
 * when it is the pinned one (or recorded as the first one seen); otherwise `expected` is the pinned one.
 */
export type HostKeyCheck = (presented: string) => Promise<{ accepted: true } | { accepted: false; expected: string }>;

/** The server at the address is not the host that was registered: nothing was sent to it. */
export class HostKeyMismatch extends Error {
  constructor(
    readonly label: string,
    readonly expected: string,
    readonly presented: string,
  ) {
    super(
      `host key mismatch for ${label}: expected ${expected}, the server presented ${presented}; ` +
        'connection refused, no credentials sent',
    );
  }
}

/**
 * An ssh2 `hostVerifier` running `check` on the presented key; `refusal()` is why it refused, if it did
 * (ssh2 itself only says "Host denied").
 */
export function hostKeyVerifier(label: string, check: HostKeyCheck) {
  let refused: Error | undefined;
  const verify = (key: Buffer, done: (ok: boolean) => void): void => {
    const presented = hostKeyFingerprint(key);
    check(presented).then(
      (r) => {
        if (!r.accepted) refused = new HostKeyMismatch(label, r.expected, presented);
        done(r.accepted);
      },
      (err: Error) => {
        refused = new Error(`the host key of ${label} (${presented}) could not be checked: ${err.message}`, {
          cause: err,
        });
        done(false);
      },
    );
  };
  return { verify, refusal: () => refused };
}
