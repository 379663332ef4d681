import { IsBoolean, IsIn, IsInt, IsOptional, IsString, IsUUID, Max, MaxLength, Min } from 'class-validator';
import { Command } from '../../shared';

export class FailoverDatabaseCommand extends Command {
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

export class FenceHostCommand extends Command {
  // The host's name, typed by the operator: fencing powers a machine off.
  @IsString()
  @MaxLength(40)
  confirm!: string;

  // The operator states the host is off (powered down by hand): no fencing method is run (like fence_ack_manual).
  @IsOptional()
  @IsBoolean()
  poweredOff?: boolean;
}

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
