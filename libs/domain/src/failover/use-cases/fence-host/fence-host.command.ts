import { IsBoolean, IsOptional, IsString, IsUUID, MaxLength } from 'class-validator';
import { Command } from '../../../shared';

export class FenceHostCommand extends Command {
  @IsUUID()
  hostId!: string;

  // The host's name, typed by the operator: fencing powers a machine off.
  @IsString()
  @MaxLength(40)
  confirm!: string;

  // The operator states the host is off (powered down by hand): no fencing method is run (like fence_ack_manual).
  @IsOptional()
  @IsBoolean()
  poweredOff?: boolean;
}
