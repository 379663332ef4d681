import { Module } from '@nestjs/common';
import { ConfigModule, WorkerEnv } from '@app/config';
import { DomainModule } from '@app/domain';
import { HostsModule } from '@app/hosts';
import { JobsModule } from '@app/jobs';
import { PersistenceModule } from '@app/persistence';
import { SecurityModule } from '@app/security';
import { StorageModule } from '@app/storage';
import { BackupSchedule } from './backups/backup-schedule.service';
import { CertificateRenewalSchedule } from './tls/certificate-renewal-schedule.service';
import { ContainerSampler } from './metrics/container-sampler.service';
import { FailoverMonitor } from './failover/failover-monitor.service';
import { StandbyLoop } from './failover/standby-loop.service';
import { DatabaseProcessor } from './processors/database.processor';
import { PrivilegeConversionStart } from './privileges/privilege-conversion-start.service';
import { ReconcilerService } from './reconciler/reconciler.service';
import { VolumeUsageService } from './volumes/volume-usage.service';
import { TenantNetworkSweep } from './hosts/tenant-network-sweep.service';

export function workerModule(env: WorkerEnv) {
  @Module({
    imports: [
      ConfigModule.forRoot(WorkerEnv, env),
      // Each running job holds one connection for its advisory lock, plus a few for its queries.
      PersistenceModule.forRoot(env.WORKER_CONCURRENCY * 2 + 5),
      JobsModule.forRoot({
        attempts: env.JOB_ATTEMPTS,
        backoffMs: env.JOB_BACKOFF_MS,
        lockMs: env.JOB_LOCK_MS,
        maxStalledCount: env.JOB_MAX_STALLED_COUNT,
      }),
      SecurityModule,
      HostsModule,
      StorageModule,
      DomainModule,
    ],
    providers: [
      DatabaseProcessor,
      ReconcilerService,
      VolumeUsageService,
      TenantNetworkSweep,
      FailoverMonitor,
      StandbyLoop,
      BackupSchedule,
      CertificateRenewalSchedule,
      ContainerSampler,
      PrivilegeConversionStart,
    ],
  })
  class WorkerModule {}
  return WorkerModule;
}
