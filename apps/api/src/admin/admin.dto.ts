import { ApiPropertyOptional, OmitType } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsIn, IsInt, IsOptional, IsString, IsUUID, Matches, Max, MaxLength, Min } from 'class-validator';
import {
  ApplyRebalanceCommand,
  CreateTenantCommand,
  ENGINE_NAMES,
  IssueApiKeyCommand,
  RegisterHostCommand,
  RegisterStorageBackendCommand,
  SetFencingCommand,
  SetHostKeyCommand,
  UpdatePlacementSettingsCommand,
} from '@app/domain';

export class CreateTenantDto extends OmitType(CreateTenantCommand, [] as const) {}
export class IssueApiKeyDto extends OmitType(IssueApiKeyCommand, [] as const) {}
export class RegisterHostDto extends OmitType(RegisterHostCommand, [] as const) {}
export class RegisterStorageBackendDto extends OmitType(RegisterStorageBackendCommand, [] as const) {}
export class SetHostKeyDto extends OmitType(SetHostKeyCommand, ['hostId'] as const) {}
export class SetFencingDto extends OmitType(SetFencingCommand, ['hostId'] as const) {}

/** `?limit=` of the admin lists: 1 to 1000. */
export class LimitQueryDto {
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(1000)
  limit?: number;
}

export class AdminDatabasesQueryDto {
  @IsOptional()
  @IsUUID()
  tenantId?: string;

  @IsOptional()
  @IsUUID()
  hostId?: string;

  @IsOptional()
  @IsIn(['provisioning', 'running', 'failing-over', 'stopped', 'error', 'deleting'])
  status?: string;

  @IsOptional()
  @IsIn(ENGINE_NAMES)
  engine?: string;
}

export class AdminOperationsQueryDto extends LimitQueryDto {
  @IsOptional()
  @IsIn(['queued', 'running', 'succeeded', 'failed'])
  status?: 'queued' | 'running' | 'succeeded' | 'failed';

  @IsOptional()
  @IsUUID()
  databaseId?: string;
}

export class MoveDatabaseDto {
  @ApiPropertyOptional({ description: 'default: the least loaded other active host' })
  @IsOptional()
  @IsUUID()
  targetHostId?: string;
}

export class AdminBackupsQueryDto {
  @IsOptional()
  @IsUUID()
  databaseId?: string;

  @IsOptional()
  @IsUUID()
  tenantId?: string;
}

export class EventsQueryDto extends LimitQueryDto {
  @ApiPropertyOptional({ description: 'e.g. host.key-mismatch' })
  @IsOptional()
  @Matches(/^[a-z][a-z0-9.-]{0,99}$/, { message: 'type must be an event type like host.key-mismatch' })
  type?: string;

  @IsOptional()
  @IsUUID()
  hostId?: string;
}

export class AuditQueryDto extends LimitQueryDto {
  @ApiPropertyOptional({ description: 'e.g. operator:alice, or anonymous for refused attempts' })
  @IsOptional()
  @IsString()
  @MaxLength(200)
  actor?: string;

  @ApiPropertyOptional({ description: 'the id of the resource acted on' })
  @IsOptional()
  @IsString()
  @MaxLength(200)
  target?: string;
}

export class AdminLogsQueryDto {
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(5000)
  tail?: number;
}

export class UpdatePlacementSettingsDto extends OmitType(UpdatePlacementSettingsCommand, [] as const) {}
export class ApplyRebalanceDto extends OmitType(ApplyRebalanceCommand, [] as const) {}
