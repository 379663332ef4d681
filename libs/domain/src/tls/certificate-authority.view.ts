import type { CertificateAuthorityState } from '@app/persistence/entities';

/** One of the platform's CAs as operators see it (never its key). */
export interface CertificateAuthorityView {
  name: string;
  state: CertificateAuthorityState;
  subject: string;
  /** SHA-256 of the certificate, as `openssl x509 -fingerprint -sha256` prints it. */
  fingerprint: string;
  notBefore: string;
  notAfter: string;
  createdAt: string;
  rotatedAt: string | null;
  /** From when the renewal job replaces the certificates it signed (null: each at its own renewal). */
  reissueAt: string | null;
  retiredAt: string | null;
  /** Databases (not deleted) whose stored server certificate it signed. */
  certificates: number;
}

/** The platform's CAs and what clients are given to trust. */
export interface CertificateAuthoritiesView {
  /** The current CA first, then the others, newest first. */
  authorities: CertificateAuthorityView[];
  /** GET /v1/ca.pem: the current CA and every previous one still trusted. */
  bundle: string;
  /** Running databases whose latest certificate their engine has not loaded yet (a previous CA stays until then). */
  reloadsPending: number;
}
