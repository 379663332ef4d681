import { Module } from '@nestjs/common';
import { AuthenticateUseCase } from './auth/use-cases/authenticate/authenticate.usecase';
import { IssueOperatorKeyUseCase } from './auth/use-cases/issue-operator-key/issue-operator-key.usecase';
import { ListOperatorKeysUseCase } from './auth/use-cases/list-operator-keys/list-operator-keys.usecase';
import { RevokeOperatorKeyUseCase } from './auth/use-cases/revoke-operator-key/revoke-operator-key.usecase';
import { DatabaseOperationStarter } from './databases/database-operation-starter';
import { ConvertPrivilegesJob } from './databases/jobs/convert-privileges.job';
import { CreateDatabaseJob } from './databases/jobs/create-database.job';
import { DatabaseAccounts } from './databases/jobs/database-accounts.service';
import { DatabaseJobOutcome } from './databases/jobs/database-job-outcome.service';
import { DeleteDatabaseJob } from './databases/jobs/delete-database.job';
import { ResizeDatabaseJob } from './databases/jobs/resize-database.job';
import { RestartDatabaseJob } from './databases/jobs/restart-database.job';
import { RotatePasswordJob } from './databases/jobs/rotate-password.job';
import { UpdateAllowedCidrsJob } from './databases/jobs/update-allowed-cidrs.job';
import { DatabaseRuntime } from './databases/runtime/database-runtime.service';
import { DatabaseNetworkPolicy } from './databases/runtime/network-policy.service';
import { OperationRunner } from './operations/operation-runner';
import { CreateDatabaseUseCase } from './databases/use-cases/create-database/create-database.usecase';
import { DeleteDatabaseUseCase } from './databases/use-cases/delete-database/delete-database.usecase';
import { GetCredentialsUseCase } from './databases/use-cases/get-credentials/get-credentials.usecase';
import { DatabaseViewer } from './databases/database-viewer.service';
import { GetDatabaseUseCase } from './databases/use-cases/get-database/get-database.usecase';
import { GetLogsUseCase } from './databases/use-cases/get-logs/get-logs.usecase';
import { ListDatabasesUseCase } from './databases/use-cases/list-databases/list-databases.usecase';
import { ResizeDatabaseUseCase } from './databases/use-cases/resize-database/resize-database.usecase';
import { SetAllowedCidrsUseCase } from './databases/use-cases/set-allowed-cidrs/set-allowed-cidrs.usecase';
import { RestartDatabaseUseCase } from './databases/use-cases/restart-database/restart-database.usecase';
import { RotatePasswordUseCase } from './databases/use-cases/rotate-password/rotate-password.usecase';
import { HostFailureService } from './failover/host-failure.service';
import { HostMonitorService } from './failover/host-monitor.service';
import { MirrorWatchService } from './failover/mirror-watch.service';
import { StandbyService } from './failover/standby.service';
import { TakeoverService } from './failover/takeover.service';
import { ActivateHostUseCase } from './failover/use-cases/activate-host/activate-host.usecase';
import { DrainHostUseCase } from './failover/use-cases/drain-host/drain-host.usecase';
import { EvacuateHostUseCase } from './failover/use-cases/evacuate-host/evacuate-host.usecase';
import { FailoverDatabaseUseCase } from './failover/use-cases/failover-database/failover-database.usecase';
import { FenceHostUseCase } from './failover/use-cases/fence-host/fence-host.usecase';
import { GetFailoverUseCase } from './failover/use-cases/get-failover/get-failover.usecase';
import { ListFailoversUseCase } from './failover/use-cases/list-failovers/list-failovers.usecase';
import { MoveAwayFromHost } from './failover/use-cases/move-away.service';
import { PlacementService } from './placement/placement.service';
import { FleetReader } from './placement/fleet-reader.service';
import { ApplyRebalanceUseCase } from './placement/use-cases/apply-rebalance/apply-rebalance.usecase';
import { GetNPlusOneUseCase } from './placement/use-cases/get-n-plus-one/get-n-plus-one.usecase';
import { GetPlacementSettingsUseCase } from './placement/use-cases/get-placement-settings/get-placement-settings.usecase';
import { ProposeRebalanceUseCase } from './placement/use-cases/propose-rebalance/propose-rebalance.usecase';
import { UpdatePlacementSettingsUseCase } from './placement/use-cases/update-placement-settings/update-placement-settings.usecase';
import { EnsureLocalHostUseCase } from './hosts/use-cases/ensure-local-host/ensure-local-host.usecase';
import { GetHostUseCase } from './hosts/use-cases/get-host/get-host.usecase';
import { ListHostsUseCase } from './hosts/use-cases/list-hosts/list-hosts.usecase';
import { RegisterHostUseCase } from './hosts/use-cases/register-host/register-host.usecase';
import { RemoveHostUseCase } from './hosts/use-cases/remove-host/remove-host.usecase';
import { SetFencingUseCase } from './hosts/use-cases/set-fencing/set-fencing.usecase';
import { SetHostKeyUseCase } from './hosts/use-cases/set-host-key/set-host-key.usecase';
import { JobTable } from './operations/job-table';
import { OperationReconciler } from './operations/operation-reconciler.service';
import { GetOperationUseCase } from './operations/use-cases/get-operation/get-operation.usecase';
import { ListOperationsUseCase } from './operations/use-cases/list-operations/list-operations.usecase';
import { ListPlansUseCase } from './plans/use-cases/list-plans/list-plans.usecase';
import { Admission } from './admission/admission.service';
import { ListEnginesUseCase } from './engines/use-cases/list-engines/list-engines.usecase';
import { MeasureVolumesUseCase } from './volumes/use-cases/measure-volumes/measure-volumes.usecase';
import { SweepTenantNetworksUseCase } from './hosts/use-cases/sweep-tenant-networks/sweep-tenant-networks.usecase';
import { VolumeQuotaService } from './volumes/volume-quota.service';
import { VolumeCopier } from './volumes/volume-copier.service';
import { VolumeSeeder } from './volumes/volume-seeder.service';
import { DatabaseMover } from './databases/moving/database-mover.service';
import { CloneDatabaseUseCase } from './databases/use-cases/clone-database/clone-database.usecase';
import { MoveDatabaseUseCase } from './databases/use-cases/move-database/move-database.usecase';
import { BackupTargets } from './backups/backup-target.service';
import { BackupKeys } from './backups/backup-keys.service';
import { BackupRunner } from './backups/backup-runner.service';
import { BackupScheduler } from './backups/backup-scheduler.service';
import { PrivilegeConversions } from './databases/privileges/privilege-conversions.service';
import { CertificateRenewal } from './tls/certificate-renewal.service';
import { PlatformCertificates } from './tls/platform-certificates.service';
import { ListCertificateAuthoritiesUseCase } from './tls/use-cases/list-certificate-authorities/list-certificate-authorities.usecase';
import { ReissueCertificatesUseCase } from './tls/use-cases/reissue-certificates/reissue-certificates.usecase';
import { RotateCaUseCase } from './tls/use-cases/rotate-ca/rotate-ca.usecase';
import { DeleteBackupUseCase } from './backups/use-cases/delete-backup/delete-backup.usecase';
import { GetBackupUseCase } from './backups/use-cases/get-backup/get-backup.usecase';
import { ListBackupsUseCase } from './backups/use-cases/list-backups/list-backups.usecase';
import { ListDatabaseBackupsUseCase } from './backups/use-cases/list-database-backups/list-database-backups.usecase';
import { OperatorRestoreBackupUseCase } from './backups/use-cases/operator-restore-backup/operator-restore-backup.usecase';
import { RestoreBackupUseCase } from './backups/use-cases/restore-backup/restore-backup.usecase';
import { TakeBackupUseCase } from './backups/use-cases/take-backup/take-backup.usecase';
import { GetStorageBackendUseCase } from './storage/use-cases/get-storage-backend/get-storage-backend.usecase';
import { ListStorageBackendsUseCase } from './storage/use-cases/list-storage-backends/list-storage-backends.usecase';
import { RegisterStorageBackendUseCase } from './storage/use-cases/register-storage-backend/register-storage-backend.usecase';
import { SetBackendHostKeyUseCase } from './storage/use-cases/set-backend-host-key/set-backend-host-key.usecase';
import { AuditLog } from './audit/audit-log.service';
import { GetFleetOverviewUseCase } from './fleet/use-cases/get-fleet-overview/get-fleet-overview.usecase';
import { GetFleetAlarmUseCase } from './fleet/use-cases/get-fleet-alarm/get-fleet-alarm.usecase';
import { ListEventsUseCase } from './fleet/use-cases/list-events/list-events.usecase';
import { GetStorageInventoryUseCase } from './fleet/use-cases/get-storage-inventory/get-storage-inventory.usecase';
import { InspectDatabasesUseCase } from './databases/use-cases/inspect-databases/inspect-databases.usecase';
import { RetryOperationUseCase } from './operations/use-cases/retry-operation/retry-operation.usecase';
import { SampleContainersUseCase } from './metrics/use-cases/sample-containers/sample-containers.usecase';
import { CreateTenantUseCase } from './tenants/use-cases/create-tenant/create-tenant.usecase';
import { IssueApiKeyUseCase } from './tenants/use-cases/issue-api-key/issue-api-key.usecase';
import { ListApiKeysUseCase } from './tenants/use-cases/list-api-keys/list-api-keys.usecase';
import { ListTenantsUseCase } from './tenants/use-cases/list-tenants/list-tenants.usecase';
import { RevokeApiKeyUseCase } from './tenants/use-cases/revoke-api-key/revoke-api-key.usecase';

const PROVIDERS = [
  AuthenticateUseCase,
  ListOperatorKeysUseCase,
  IssueOperatorKeyUseCase,
  RevokeOperatorKeyUseCase,
  DatabaseOperationStarter,
  DatabaseRuntime,
  DatabaseNetworkPolicy,
  DatabaseAccounts,
  DatabaseJobOutcome,
  CreateDatabaseJob,
  DeleteDatabaseJob,
  RestartDatabaseJob,
  RotatePasswordJob,
  ResizeDatabaseJob,
  ConvertPrivilegesJob,
  UpdateAllowedCidrsJob,
  DatabaseViewer,
  OperationRunner,
  CreateDatabaseUseCase,
  DeleteDatabaseUseCase,
  GetCredentialsUseCase,
  GetDatabaseUseCase,
  GetLogsUseCase,
  ListDatabasesUseCase,
  ResizeDatabaseUseCase,
  SetAllowedCidrsUseCase,
  RestartDatabaseUseCase,
  RotatePasswordUseCase,
  PlacementService,
  FleetReader,
  GetNPlusOneUseCase,
  ProposeRebalanceUseCase,
  ApplyRebalanceUseCase,
  RegisterHostUseCase,
  ListHostsUseCase,
  GetHostUseCase,
  SetHostKeyUseCase,
  SetFencingUseCase,
  RemoveHostUseCase,
  EnsureLocalHostUseCase,
  HostFailureService,
  HostMonitorService,
  MirrorWatchService,
  StandbyService,
  TakeoverService,
  ListFailoversUseCase,
  GetFailoverUseCase,
  FailoverDatabaseUseCase,
  MoveAwayFromHost,
  DrainHostUseCase,
  EvacuateHostUseCase,
  FenceHostUseCase,
  ActivateHostUseCase,
  JobTable,
  OperationReconciler,
  GetOperationUseCase,
  ListOperationsUseCase,
  ListPlansUseCase,
  Admission,
  ListEnginesUseCase,
  MeasureVolumesUseCase,
  SweepTenantNetworksUseCase,
  VolumeQuotaService,
  RegisterStorageBackendUseCase,
  SetBackendHostKeyUseCase,
  ListStorageBackendsUseCase,
  GetStorageBackendUseCase,
  CreateTenantUseCase,
  IssueApiKeyUseCase,
  ListTenantsUseCase,
  ListApiKeysUseCase,
  RevokeApiKeyUseCase,
  VolumeCopier,
  VolumeSeeder,
  DatabaseMover,
  CloneDatabaseUseCase,
  MoveDatabaseUseCase,
  BackupTargets,
  BackupKeys,
  BackupRunner,
  BackupScheduler,
  PrivilegeConversions,
  PlatformCertificates,
  CertificateRenewal,
  RotateCaUseCase,
  ReissueCertificatesUseCase,
  ListCertificateAuthoritiesUseCase,
  TakeBackupUseCase,
  ListBackupsUseCase,
  ListDatabaseBackupsUseCase,
  GetBackupUseCase,
  RestoreBackupUseCase,
  OperatorRestoreBackupUseCase,
  DeleteBackupUseCase,
  AuditLog,
  GetFleetOverviewUseCase,
  GetFleetAlarmUseCase,
  ListEventsUseCase,
  GetStorageInventoryUseCase,
  InspectDatabasesUseCase,
  RetryOperationUseCase,
  SampleContainersUseCase,
  GetPlacementSettingsUseCase,
  UpdatePlacementSettingsUseCase,
];

/** Use cases and domain services. Infrastructure (repositories, hosts, storage, queue) is bound by the app's modules. */
@Module({ providers: PROVIDERS, exports: PROVIDERS })
export class DomainModule {}
