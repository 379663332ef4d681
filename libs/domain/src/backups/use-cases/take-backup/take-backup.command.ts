import { IsUUID } from 'class-validator';
import { Command } from '../../../shared';

export class TakeBackupCommand extends Command {
  @IsUUID() tenantId!: string;
  @IsUUID() databaseId!: string;
}
