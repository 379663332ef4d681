import { OmitType } from '@nestjs/swagger';
import type { CertificateAuthoritiesView, CertificateAuthorityView } from '@app/domain';
import { RotateCaCommand } from '@app/domain';

export class RotateCaDto extends OmitType(RotateCaCommand, [] as const) {}

/** One of the platform's CAs (never its key). */
export class CertificateAuthority implements CertificateAuthorityView {
  /** `platform` for the first, `platform-<time>-<random>` for each rotation's. */
  name: string;
  /** `current` signs; `previous` is still trusted (in the bundle); `retired` left the bundle, its key dropped. */
  state: 'current' | 'previous' | 'retired';
  subject: string;
  /** SHA-256 of the certificate, as `openssl x509 -fingerprint -sha256` prints it. */
  fingerprint: string;
  notBefore: string;
  notAfter: string;
  createdAt: string;
  /** When a rotation put another CA in its place. */
  rotatedAt: string | null;
  /** From when the renewal job replaces the certificates it signed (null: each at its own renewal). */
  reissueAt: string | null;
  retiredAt: string | null;
  /** Databases (not deleted) whose server certificate it signed. */
  certificates: number;
}

export class CertificateAuthorities implements CertificateAuthoritiesView {
  /** The current CA first, then the others, newest first. */
  authorities: CertificateAuthority[];
  /** What GET /v1/ca.pem serves: the current CA and each previous one still trusted (PEM). */
  bundle: string;
  /** Running databases whose latest certificate their engine has not loaded yet (a previous CA stays until then). */
  reloadsPending: number;
}
