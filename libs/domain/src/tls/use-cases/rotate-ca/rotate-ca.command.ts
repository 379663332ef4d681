import { IsIn, IsOptional } from 'class-validator';
import { Command } from '../../../shared';

export type ReissueWhen = 'at-renewal' | 'now';

/** A CA rotation, and when the certificates the old CA signed are replaced. */
export class RotateCaCommand extends Command {
  /**
   * `at-renewal` (default): each at its own renewal, which gives clients time to fetch the new bundle first;
   * `now`: at the renewal job's next round (a CA key that must not be trusted any longer).
   */
  @IsOptional()
  @IsIn(['at-renewal', 'now'])
  reissue?: ReissueWhen = 'at-renewal';
}
