import { IsIn, IsInt, IsOptional, IsUUID, Max, Min } from 'class-validator';
import { Command } from '../../../shared';

export class ListFailoversQuery extends Command {
  @IsOptional()
  @IsUUID()
  databaseId?: string;

  @IsOptional()
  @IsUUID()
  hostId?: string;

  @IsOptional()
  @IsIn(['running', 'succeeded', 'failed'])
  status?: 'running' | 'succeeded' | 'failed';

  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(1000)
  limit?: number;
}
