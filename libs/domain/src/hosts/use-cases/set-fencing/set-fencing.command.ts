import { IsUUID, ValidateIf } from 'class-validator';
import { Command } from '../../../shared';
import type { FencingInput } from '../../fencing';
import { IsFencing } from '../../host.validators';

/** Replaces a host's fencing (null: none, an operator then confirms every fence). */
export class SetFencingCommand extends Command {
  @IsUUID()
  hostId!: string;

  @ValidateIf((o: SetFencingCommand) => o.fencing !== null)
  @IsFencing()
  fencing!: FencingInput | null;
}
