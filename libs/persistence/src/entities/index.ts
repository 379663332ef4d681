import { ApiKeyEntity } from './api-key.entity';
import { AuditEntryEntity } from './audit-entry.entity';
import { BackupEntity } from './backup.entity';
import { CertificateAuthorityEntity } from './certificate-authority.entity';
import { DatabaseEntity } from './database.entity';
import { DatabaseSampleEntity } from './database-sample.entity';
import { EventEntity } from './event.entity';
import { FailoverEntity } from './failover.entity';
import { HostEntity } from './host.entity';
import { LunEntity } from './lun.entity';
import { OperationEntity } from './operation.entity';
import { PlacementSettingsEntity } from './placement-settings.entity';
import { PlanEntity } from './plan.entity';
import { StorageBackendEntity } from './storage-backend.entity';
import { TenantEntity } from './tenant.entity';
import { VolumeEntity } from './volume.entity';

export * from './api-key.entity';
export * from './audit-entry.entity';
export * from './backup.entity';
export * from './certificate-authority.entity';
export * from './database.entity';
export * from './database-sample.entity';
export * from './event.entity';
export * from './failover.entity';
export * from './host.entity';
export * from './lun.entity';
export * from './operation.entity';
export * from './placement-settings.entity';
export * from './plan.entity';
export * from './storage-backend.entity';
export * from './tenant.entity';
export * from './volume.entity';

export const ENTITIES = [
  TenantEntity,
  ApiKeyEntity,
  PlanEntity,
  HostEntity,
  DatabaseEntity,
  VolumeEntity,
  OperationEntity,
  EventEntity,
  StorageBackendEntity,
  LunEntity,
  FailoverEntity,
  BackupEntity,
  AuditEntryEntity,
  PlacementSettingsEntity,
  DatabaseSampleEntity,
  CertificateAuthorityEntity,
];
