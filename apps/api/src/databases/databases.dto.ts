import { ApiProperty, ApiPropertyOptional, OmitType } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsInt, IsOptional, IsString, Matches, Max, Min } from 'class-validator';
import { CreateDatabaseCommand } from '@app/domain';

/** The body of POST /v1/databases: the command without the tenant, which comes from the key. */
export class CreateDatabaseDto extends OmitType(CreateDatabaseCommand, ['tenantId'] as const) {}

export class ResizeDatabaseDto {
  @ApiProperty({ example: 'medium' })
  @IsString()
  @Matches(/^[a-z0-9-]{1,40}$/, { message: 'plan must be a plan name from GET /v1/plans' })
  plan!: string;
}

export class LogsQueryDto {
  @ApiPropertyOptional({ minimum: 1, maximum: 5000, default: 100 })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(5000)
  tail?: number;
}
