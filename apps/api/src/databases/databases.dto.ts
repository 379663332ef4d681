import { ApiProperty, ApiPropertyOptional, OmitType } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsIn, IsInt, IsOptional, IsString, Matches, Max, MaxLength, Min } from 'class-validator';
import {
  CloneDatabaseCommand,
  CreateDatabaseCommand,
  RestoreBackupCommand,
  SetAllowedCidrsCommand,
  TLS_MODES,
} from '@app/domain';
import type { TlsMode } from '@app/persistence/entities';

/** The body of POST /v1/databases: the command without the tenant, which comes from the key. */
export class CreateDatabaseDto extends OmitType(CreateDatabaseCommand, ['tenantId'] as const) {}

export class ResizeDatabaseDto {
  @ApiProperty({ example: 'medium' })
  @IsString()
  @Matches(/^[a-z0-9-]{1,40}$/, { message: 'plan must be a plan name from GET /v1/plans' })
  plan!: string;
}

/** PUT /v1/databases/:id/allowed-cidrs (and the admin route): the whole new list. */
export class SetAllowedCidrsDto extends OmitType(SetAllowedCidrsCommand, ['tenantId', 'databaseId'] as const) {}

export class LogsQueryDto {
  @ApiPropertyOptional({ minimum: 1, maximum: 5000, default: 100 })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(5000)
  tail?: number;
}

/** POST /v1/databases/:id/clones: a name, optionally a plan (not less disk than the source's) and an HA mode. */
export class CloneDatabaseDto extends OmitType(CloneDatabaseCommand, ['tenantId', 'databaseId'] as const) {}

/** POST …/backups/:backupId/restore. */
export class RestoreBackupDto extends OmitType(RestoreBackupCommand, ['tenantId', 'backupId', 'databaseId'] as const) {}

export class DeleteDatabaseQueryDto {
  @ApiPropertyOptional({
    enum: ['true', 'false'],
    default: 'true',
    description: 'keep its backups for the retention period; false is the older spelling of purgeBackups=true',
  })
  @IsOptional()
  @IsIn(['true', 'false'], { message: 'keepBackups must be true or false' })
  keepBackups?: 'true' | 'false';

  @ApiPropertyOptional({
    enum: ['true', 'false'],
    default: 'false',
    description: 'remove its backups now instead of after the retention period; needs confirm=<database name>',
  })
  @IsOptional()
  @IsIn(['true', 'false'], { message: 'purgeBackups must be true or false' })
  purgeBackups?: 'true' | 'false';

  @ApiPropertyOptional({ description: "the database's name, to confirm purgeBackups=true" })
  @IsOptional()
  @IsString()
  @MaxLength(100)
  confirm?: string;
}

export class PurgeBackupQueryDto {
  @ApiPropertyOptional({ description: "the name of the backup's database, to confirm removing it before its expiry" })
  @IsOptional()
  @IsString()
  @MaxLength(100)
  confirm?: string;
}

/** PUT /v1/databases/:id/tls: the database's TLS mode, taken on by a restart. */
export class SetTlsDto {
  @ApiProperty({ enum: TLS_MODES, example: 'required' })
  @IsIn(TLS_MODES, { message: `mode must be one of: ${TLS_MODES.join(', ')}` })
  mode!: TlsMode;
}
