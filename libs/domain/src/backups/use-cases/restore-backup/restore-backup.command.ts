import { IsIn, IsOptional, IsString, Matches } from 'class-validator';
import type { HaMode } from '@app/persistence/entities';
import { IsAllowedCidrs, IsResourceName } from '../../../shared';
import { BackupRefCommand } from '../backup-ref.command';

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
