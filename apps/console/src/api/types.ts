// Response shapes of the admin API: names onto the types generated from the API's own OpenAPI document
// (openapi.d.ts, `npm run build` / scripts/api-types.mjs), so the console cannot drift from what the API sends.
import type { components } from './openapi';

type Schemas = components['schemas'];

export type ApiErrorBody = Schemas['ErrorBody'];

export type Overview = Schemas['Overview'];
export type FleetAlarm = Schemas['FleetAlarm'];
export type CapacityRow = Schemas['CapacityRow'];
export type Used = Schemas['Gauge'];

export type HostListItem = Schemas['HostListItem'];
export type HostDetail = Schemas['HostDetail'];
export type HostHealth = Schemas['HostHealth'];
export type HostChecks = Schemas['HostChecks'];
export type CheckState = HostChecks['ssh'];
export type HostCapacity = Schemas['HostCapacity'];
export type HostStatus = HostListItem['status'];
export type FencingConfig = Schemas['AgentFencing'] | Schemas['SshFencing'];
export type PlacedDatabase = Schemas['PlacedDatabase'];
export type HostLun = Schemas['HostLun'];

export type DatabaseView = Schemas['FleetDatabaseItem'];
export type DatabaseDetail = Schemas['DatabaseDetail'];
export type DatabaseStatus = DatabaseView['status'];
export type HaMode = DatabaseView['ha'];
export type TlsMode = DatabaseView['tls'];
export type VolumeView = Schemas['VolumeView'];
export type DatabaseEvent = Schemas['DatabaseEvent'];
export type AllowListAccepted = Schemas['AllowListAccepted'];
export type Logs = Schemas['Logs'];

/** `retryable`: only on the admin operations list. */
export type OperationView = Schemas['OperationView'] & Partial<Pick<Schemas['AdminOperationView'], 'retryable'>>;
export type OperationStatus = OperationView['status'];
export type TransferProgress = Schemas['TransferProgress'];
export type Accepted = Schemas['Accepted'];

export type FailoverView = Schemas['FailoverView'];
export type FailoverStatus = FailoverView['status'];

export type Storage = Schemas['Storage'];
export type StorageBackend = Schemas['StorageBackend'];
export type StorageLun = Schemas['StorageLun'];
export type HostDataRoot = Schemas['HostDataRoot'];

export type Tenant = Schemas['Tenant'];
export type ApiKey = Schemas['ApiKey'];
export type IssuedApiKey = Schemas['IssuedApiKey'];
export type AuditEntry = Schemas['AuditEntry'];

// Host actions answer what they did.
export type MoveAwayResult = Schemas['MoveAwayResult'];
export type FenceResult = Schemas['FenceResult'];
export type ActivateResult = Schemas['ActivateResult'];

export type PlacementSettings = Schemas['PlacementSettings'];
export type HostLoss = Schemas['HostLoss'];
export type RebalanceProposal = Schemas['RebalanceProposal'];
export type RebalanceResult = Schemas['RebalanceResult'];

/** The console's own: the confirmations it shows before a host action. */
export type HostAction = 'drain' | 'evacuate' | 'fence' | 'activate';

export const attachedLuns = (h: HostDetail): HostLun[] => h.attachedLuns;
