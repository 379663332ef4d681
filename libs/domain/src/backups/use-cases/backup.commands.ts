import { IsIn, IsOptional, IsString, IsUUID, Matches } from 'class-validator';
import type { HaMode } from '@app/persistence/entities';
import { Command, IsAllowedCidrs, IsResourceName } from '../../shared';

export class TakeBackupCommand extends Command {
  @IsUUID() tenantId!: string;
  @IsUUID() databaseId!: string;
}

export class BackupRefCommand extends Command {
  @IsUUID() tenantId!: string;
  @IsUUID() backupId!: string;
  // When given (the nested route), the backup must belong to this database.
  @IsOptional() @IsUUID() databaseId?: string;
}

export class RestoreBackupCommand extends BackupRefCommand {
  @IsResourceName() name!: string;

  @IsOptional()
  @IsString()
  @Matches(/^[a-z0-9-]{1,40}$/, { message: 'plan must be a plan name from GET /v1/plans' })
  plan?: string;

  @IsOptional()
  @IsIn(['none', 'drbd', 'san'], { message: 'ha must be one of: none, drbd, san' })
  ha?: HaMode;
  /** The source networks allowed to connect (canonical CIDRs); absent: the source database's list. */
  @IsOptional()
  @IsAllowedCidrs()
  allowedCidrs?: string[];
}
