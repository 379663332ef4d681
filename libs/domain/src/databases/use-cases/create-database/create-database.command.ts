import { IsIn, IsOptional, IsString, IsUUID, Matches } from 'class-validator';
import type { EngineName, HaMode, TlsMode } from '@app/persistence/entities';
import { TLS_MODES } from '../../../tls/certificate-policy';
import { ENGINE_NAMES } from '../../../engines';
import { Command, IsAllowedCidrs, IsResourceName } from '../../../shared';

export class CreateDatabaseCommand extends Command {
  @IsUUID()
  tenantId!: string;

  @IsResourceName()
  name!: string;

  @IsIn(ENGINE_NAMES, { message: `engine must be one of: ${ENGINE_NAMES.join(', ')}` })
  engine!: EngineName;

  @IsOptional()
  @IsString()
  @Matches(/^[0-9][0-9.]{0,15}$/, { message: 'version must look like 15 or 10.11' })
  version?: string;

  @IsString()
  @Matches(/^[a-z0-9-]{1,40}$/, { message: 'plan must be a plan name from GET /v1/plans' })
  plan!: string;

  @IsOptional()
  @IsIn(['none', 'drbd', 'san'], { message: 'ha must be one of: none, drbd, san' })
  ha?: HaMode;

  /** The source networks allowed to connect, canonical CIDRs (at most 64); absent or empty: anyone. */
  @IsOptional()
  @IsAllowedCidrs()
  allowedCidrs?: string[];
  // `required` (default): clear-text connections refused; `preferred`: TLS offered, clear text still accepted.
  @IsOptional()
  @IsIn(TLS_MODES, { message: `tls must be one of: ${TLS_MODES.join(', ')}` })
  tls?: TlsMode;
}
