import { IsDefined, IsOptional, IsUUID } from 'class-validator';
import { Command, IsAllowedCidrs } from '../../../shared';

export class SetAllowedCidrsCommand extends Command {
  // Absent: an operator, across tenants.
  @IsOptional()
  @IsUUID()
  tenantId?: string;

  @IsUUID()
  databaseId!: string;

  /** The whole new list, canonical CIDRs (at most 64); empty: anyone may connect. */
  @IsDefined({ message: 'allowedCidrs is required: an array of CIDRs, [] for anyone' })
  @IsAllowedCidrs()
  allowedCidrs!: string[];
}
