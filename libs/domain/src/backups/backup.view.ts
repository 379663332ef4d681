import type { BackupEntity } from '@app/persistence/entities';

export interface BackupView {
  id: string;
  databaseId: string;
  databaseName: string;
  engine: string;
  version: string;
  kind: string;
  status: string;
  method: string;
  sizeBytes: number | null;
  files: number | null;
  /** Encrypted at rest with the tenant's data key (false: a plain archive of before encryption). */
  encrypted: boolean;
  /** SHA-256 of the stored archive, checked before every restore. */
  sha256: string | null;
  operationId: string | null;
  error: string | null;
  createdAt: string;
  completedAt: string | null;
  expiresAt: string | null;
}

export function toBackupView(b: BackupEntity): BackupView {
  return {
    id: b.id,
    databaseId: b.databaseId,
    databaseName: b.databaseName,
    engine: b.engine,
    version: b.version,
    kind: b.kind,
    status: b.status,
    method: b.method,
    sizeBytes: b.sizeBytes,
    files: b.files,
    encrypted: b.encryption !== null,
    sha256: b.sha256,
    operationId: b.operationId,
    error: b.error,
    createdAt: b.createdAt.toISOString(),
    completedAt: b.completedAt?.toISOString() ?? null,
    expiresAt: b.expiresAt?.toISOString() ?? null,
  };
}
