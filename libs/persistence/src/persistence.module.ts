import { DynamicModule, Global, Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { CommonEnv, ENV } from '@app/config';
import {
  API_KEY_REPOSITORY,
  AUDIT_REPOSITORY,
  BACKUP_REPOSITORY,
  CERTIFICATE_AUTHORITY_REPOSITORY,
  DATABASE_REPOSITORY,
  EVENT_REPOSITORY,
  FAILOVER_REPOSITORY,
  FLEET_QUERIES,
  HOST_REPOSITORY,
  LUN_REPOSITORY,
  OPERATION_REPOSITORY,
  PLACEMENT_SETTINGS_REPOSITORY,
  PLAN_REPOSITORY,
  RESOURCE_LOCK,
  SAMPLE_REPOSITORY,
  STORAGE_BACKEND_REPOSITORY,
  TENANT_REPOSITORY,
  VOLUME_REPOSITORY,
} from '@app/domain/ports';
import { dataSourceOptions } from './data-source';
import { ENTITIES } from './entities';
import {
  SqlFleetQueries,
  TypeOrmAuditRepository,
  TypeOrmPlacementSettingsRepository,
  TypeOrmSampleRepository,
} from './repositories/console.repositories';
import { TypeOrmBackupRepository } from './repositories/backup.repository';
import { TypeOrmDatabaseRepository } from './repositories/database.repository';
import { TypeOrmFailoverRepository } from './repositories/failover.repository';
import { PgAdvisoryLock } from './repositories/resource-lock';
import { TypeOrmLunRepository, TypeOrmStorageBackendRepository } from './repositories/storage.repositories';
import {
  TypeOrmApiKeyRepository,
  TypeOrmCertificateAuthorityRepository,
  TypeOrmEventRepository,
  TypeOrmHostRepository,
  TypeOrmOperationRepository,
  TypeOrmPlanRepository,
  TypeOrmTenantRepository,
  TypeOrmVolumeRepository,
} from './repositories/simple.repositories';

const BINDINGS = [
  { provide: TENANT_REPOSITORY, useClass: TypeOrmTenantRepository },
  { provide: API_KEY_REPOSITORY, useClass: TypeOrmApiKeyRepository },
  { provide: PLAN_REPOSITORY, useClass: TypeOrmPlanRepository },
  { provide: HOST_REPOSITORY, useClass: TypeOrmHostRepository },
  { provide: DATABASE_REPOSITORY, useClass: TypeOrmDatabaseRepository },
  { provide: VOLUME_REPOSITORY, useClass: TypeOrmVolumeRepository },
  { provide: OPERATION_REPOSITORY, useClass: TypeOrmOperationRepository },
  { provide: EVENT_REPOSITORY, useClass: TypeOrmEventRepository },
  { provide: STORAGE_BACKEND_REPOSITORY, useClass: TypeOrmStorageBackendRepository },
  { provide: LUN_REPOSITORY, useClass: TypeOrmLunRepository },
  { provide: FAILOVER_REPOSITORY, useClass: TypeOrmFailoverRepository },
  { provide: BACKUP_REPOSITORY, useClass: TypeOrmBackupRepository },
  { provide: AUDIT_REPOSITORY, useClass: TypeOrmAuditRepository },
  { provide: FLEET_QUERIES, useClass: SqlFleetQueries },
  { provide: SAMPLE_REPOSITORY, useClass: TypeOrmSampleRepository },
  { provide: PLACEMENT_SETTINGS_REPOSITORY, useClass: TypeOrmPlacementSettingsRepository },
  { provide: RESOURCE_LOCK, useClass: PgAdvisoryLock },
  { provide: CERTIFICATE_AUTHORITY_REPOSITORY, useClass: TypeOrmCertificateAuthorityRepository },
];

/** Binds every repository interface of the domain to its TypeORM implementation, in one place. */
@Global()
@Module({})
export class PersistenceModule {
  static forRoot(poolSize = 20): DynamicModule {
    return {
      module: PersistenceModule,
      imports: [
        TypeOrmModule.forRootAsync({
          inject: [ENV],
          useFactory: (env: CommonEnv) => dataSourceOptions(env.DATABASE_URL, poolSize),
        }),
        TypeOrmModule.forFeature(ENTITIES),
      ],
      providers: BINDINGS,
      exports: BINDINGS.map((b) => b.provide),
    };
  }
}
