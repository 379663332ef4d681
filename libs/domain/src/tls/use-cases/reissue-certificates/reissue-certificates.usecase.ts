import { Inject, Injectable } from '@nestjs/common';
import { EVENT_REPOSITORY, EventRepository } from '../../../ports';
import type { CertificateAuthoritiesView } from '../../certificate-authority.view';
import { PlatformCertificates } from '../../platform-certificates.service';

/**
 * After a rotation that re-issues at renewal: the certificates the previous CAs signed are replaced at the renewal
 * job's next round instead, so they leave the bundle sooner. Nothing to do without a previous CA.
 */
@Injectable()
export class ReissueCertificatesUseCase {
  constructor(
    private readonly certificates: PlatformCertificates,
    @Inject(EVENT_REPOSITORY) private readonly events: EventRepository,
  ) {}

  async execute(now = new Date()): Promise<CertificateAuthoritiesView> {
    const cas = await this.certificates.reissuePrevious(now);
    if (cas > 0)
      await this.events.record({
        type: 'ca.reissue-requested',
        message: `the certificates of ${cas} previous CA(s) are re-issued at the renewal job's next round`,
      });
    return this.certificates.view();
  }
}
