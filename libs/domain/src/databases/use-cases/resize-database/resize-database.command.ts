import { IsString, IsUUID, Matches } from 'class-validator';
import { Command } from '../../../shared';

export class ResizeDatabaseCommand extends Command {
  @IsUUID()
  tenantId!: string;

  @IsUUID()
  databaseId!: string;

  @IsString()
  @Matches(/^[a-z0-9-]{1,40}$/, { message: 'plan must be a plan name from GET /v1/plans' })
  plan!: string;
}
