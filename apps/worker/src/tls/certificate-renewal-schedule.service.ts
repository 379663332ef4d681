import { Inject, Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { ENV, WorkerEnv } from '@app/config';
import { CertificateRenewal } from '@app/domain';
import { RESOURCE_LOCK, ResourceLock } from '@app/domain/ports';
import { LeaderLoop } from '../leadership/leader-loop';

/** Server certificates renewed before they expire, on one worker replica at a time (the holder of its lock). */
@Injectable()
export class CertificateRenewalSchedule implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(CertificateRenewalSchedule.name);
  private readonly loop: LeaderLoop;

  constructor(@Inject(ENV) env: WorkerEnv, @Inject(RESOURCE_LOCK) lock: ResourceLock, renewal: CertificateRenewal) {
    this.loop = new LeaderLoop(
      lock,
      'certificate-renewal',
      env.TLS_RENEW_INTERVAL_MS,
      async () => {
        const r = await renewal.tick();
        if (r.renewed || r.failed) this.logger.log(`certificates renewed: ${r.renewed}, failed: ${r.failed}`);
      },
      (err) => this.logger.error(`certificate renewal: ${(err as Error).stack ?? err}`),
    );
  }

  onApplicationBootstrap(): void {
    this.loop.start();
  }

  onApplicationShutdown(): Promise<void> {
    return this.loop.stop();
  }
}
