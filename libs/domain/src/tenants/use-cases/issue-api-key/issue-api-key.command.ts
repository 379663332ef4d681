import { IsString, Length, Matches } from 'class-validator';
import { Command } from '../../../shared';

/** A key's name (a tenant's key, or an operator's: the same body). */
export class IssueApiKeyCommand extends Command {
  @IsString()
  @Length(1, 80)
  @Matches(/^[\w .:@-]+$/, { message: 'name may hold letters, digits, spaces and . : @ - _' })
  name: string = 'default';
}
