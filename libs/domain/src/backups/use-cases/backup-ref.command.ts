import { IsOptional, IsUUID } from 'class-validator';
import { Command } from '../../shared';

/** A tenant's backup, by id: what reading, restoring and deleting one name. */
export class BackupRefCommand extends Command {
  @IsUUID() tenantId!: string;
  @IsUUID() backupId!: string;
  // When given (the nested route), the backup must belong to this database.
  @IsOptional() @IsUUID() databaseId?: string;
}
