import { Type } from 'class-transformer';
import { ArrayMaxSize, ArrayMinSize, IsArray, IsUUID, ValidateNested } from 'class-validator';
import { Command } from '../../../shared';

export class RebalanceMoveInput {
  @IsUUID()
  databaseId!: string;

  @IsUUID()
  targetHostId!: string;
}

/** The moves of a proposal the operator accepted (possibly only some of them). */
export class ApplyRebalanceCommand extends Command {
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(100)
  @ValidateNested({ each: true })
  @Type(() => RebalanceMoveInput)
  moves!: RebalanceMoveInput[];
}
