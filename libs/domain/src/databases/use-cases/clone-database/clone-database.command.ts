import { IsIn, IsOptional, IsString, IsUUID, Matches } from 'class-validator';
import type { HaMode } from '@app/persistence/entities';
import { Command, IsAllowedCidrs, IsResourceName } from '../../../shared';

export class CloneDatabaseCommand extends Command {
  @IsUUID()
  tenantId!: string;

  @IsUUID()
  databaseId!: string;

  @IsResourceName()
  name!: string;

  // Default: the source's plan. A plan with less disk than the source's is refused (the data might not fit).
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
