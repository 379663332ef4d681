import { IsBoolean, IsOptional, IsUUID } from 'class-validator';
import { Command } from '../../../shared';

export class FailoverDatabaseCommand extends Command {
  @IsUUID()
  databaseId!: string;

  // Where to: the DRBD peer or a host of the same SAN backend (chosen when left out).
  @IsOptional()
  @IsUUID()
  targetHostId?: string;

  // The operator accepts promoting a DRBD peer that may lack writes the old primary committed (its mirror was not
  // read synced up to the primary's last moments). Without it such a failover is refused with the reason.
  @IsOptional()
  @IsBoolean()
  acceptDataLoss?: boolean;
}
