import { Inject, Injectable } from '@nestjs/common';
import { EVENT_REPOSITORY, EventRepository } from '../../../ports';
import type { CertificateAuthoritiesView } from '../../certificate-authority.view';
import { PlatformCertificates } from '../../platform-certificates.service';
import { RotateCaCommand } from './rotate-ca.command';

/**
 * Rotates the platform CA: a new one signs from now on, the old one stays in GET /v1/ca.pem beside it until no
 * database holds a certificate it signed (the renewal job then retires it).
 */
@Injectable()
export class RotateCaUseCase {
  constructor(
    private readonly certificates: PlatformCertificates,
    @Inject(EVENT_REPOSITORY) private readonly events: EventRepository,
  ) {}

  async execute(cmd: RotateCaCommand, now = new Date()): Promise<CertificateAuthoritiesView> {
    const reissueNow = cmd.reissue === 'now';
    const next = await this.certificates.rotate(reissueNow ? now : null, now);
    await this.events.record({
      type: 'ca.rotated',
      message:
        `CA ${next.name} signs from now on; the previous CA stays in GET /v1/ca.pem until no certificate it signed ` +
        `is in use; its certificates are re-issued ${reissueNow ? "at the renewal job's next round" : 'at their renewal'}`,
    });
    return this.certificates.view();
  }
}
