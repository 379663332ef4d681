import { CaController } from './tls/ca.controller';
import { AdminCaController } from './tls/admin-ca.controller';
import { AdminFailoverController } from './admin/failover.controller';
import { AdminFleetController } from './admin/fleet.controller';
import { AdminPlacementController } from './admin/placement.controller';
import { AuditRecorder } from './audit/audit-recorder.service';
import { Module } from '@nestjs/common';
import { APP_FILTER, APP_GUARD } from '@nestjs/core';
import { ApiEnv, ConfigModule } from '@app/config';
import { DomainModule } from '@app/domain';
import { HostsModule } from '@app/hosts';
import { JobsModule } from '@app/jobs';
import { PersistenceModule } from '@app/persistence';
import { SecurityModule } from '@app/security';
import { StorageModule } from '@app/storage';
import { AdminDatabasesController } from './admin/databases.controller';
import { AdminHostsController } from './admin/hosts.controller';
import { AdminStorageController } from './admin/storage.controller';
import { AdminTenantsController } from './admin/tenants.controller';
import { ApiKeyGuard } from './auth/auth.guard';
import { rateLimitModule, RateLimitGuard } from './auth/rate-limit';
import { AdminOperatorKeysController } from './admin/operator-keys.controller';
import { BootService } from './bootstrap/boot.service';
import { AllExceptionsFilter } from './common/exception.filter';
import { BackupsController } from './backups/backups.controller';
import { DatabasesController } from './databases/databases.controller';
import { HealthController } from './health/health.controller';
import { MetricsController } from './metrics/metrics.controller';
import { MetricsService } from './metrics/metrics.service';

export function apiModule(env: ApiEnv) {
  @Module({
    imports: [
      ConfigModule.forRoot(ApiEnv, env),
      PersistenceModule.forRoot(20),
      JobsModule.forRoot({ attempts: env.JOB_ATTEMPTS, backoffMs: env.JOB_BACKOFF_MS }),
      SecurityModule,
      HostsModule,
      StorageModule,
      DomainModule,
      rateLimitModule(env),
    ],
    controllers: [
      CaController,
      DatabasesController,
      BackupsController,
      AdminTenantsController,
      AdminOperatorKeysController,
      AdminHostsController,
      AdminStorageController,
      AdminFailoverController,
      AdminDatabasesController,
      AdminFleetController,
      AdminPlacementController,
      AdminCaController,
      HealthController,
      MetricsController,
    ],
    providers: [
      BootService,
      MetricsService,
      AuditRecorder,
      // In this order: the rate limit counts a request before its key is checked (wrong keys are counted too).
      { provide: APP_GUARD, useClass: RateLimitGuard },
      { provide: APP_GUARD, useClass: ApiKeyGuard },
      { provide: APP_FILTER, useClass: AllExceptionsFilter },
    ],
  })
  class ApiModule {}
  return ApiModule;
}
