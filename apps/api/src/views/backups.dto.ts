import { IntersectionType, OmitType } from '@nestjs/swagger';
import type { BackupView as DomainBackupView } from '@app/domain';
import { Accepted } from './common.dto';
import type { BackupKind, BackupStatus } from '@app/persistence/entities';

export class BackupView implements DomainBackupView {
  id: string;
  databaseId: string;
  databaseName: string;
  engine: string;
  version: string;
  kind: BackupKind;
  status: BackupStatus;
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

/** `POST /v1/databases/:id/backups`: the backup being taken and its operation. */
export class BackupAccepted extends IntersectionType(OmitType(BackupView, ['operationId'] as const), Accepted) {}
