import { Injectable } from '@nestjs/common';
import type { CertificateAuthoritiesView } from '../../certificate-authority.view';
import { PlatformCertificates } from '../../platform-certificates.service';

/** The platform's CAs: which signs, which are still trusted and for how many certificates, the bundle clients get. */
@Injectable()
export class ListCertificateAuthoritiesUseCase {
  constructor(private readonly certificates: PlatformCertificates) {}

  execute(): Promise<CertificateAuthoritiesView> {
    return this.certificates.view();
  }
}
