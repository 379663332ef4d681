import { IsOptional, IsUUID } from 'class-validator';
import { Command } from '../../../shared';

export class MoveDatabaseCommand extends Command {
  @IsUUID()
  databaseId!: string;

  // Default: the least loaded other active host (with the same storage driver as the plan asks, if any).
  @IsOptional()
  @IsUUID()
  targetHostId?: string;
}
