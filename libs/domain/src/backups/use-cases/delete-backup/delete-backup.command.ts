import { IsOptional, IsString, MaxLength } from 'class-validator';
import { BackupRefCommand } from '../backup-ref.command';

export class DeleteBackupCommand extends BackupRefCommand {
  // The name of the backup's database: a purge before the retention ends is confirmed by name.
  @IsOptional()
  @IsString()
  @MaxLength(100)
  confirm?: string;
}
