import { IsString, Length, Matches } from 'class-validator';
import { Command, NAME_MESSAGE, NAME_PATTERN } from '../../shared';

export class CreateTenantCommand extends Command {
  @IsString()
  @Length(3, 40, { message: NAME_MESSAGE })
  @Matches(NAME_PATTERN, { message: NAME_MESSAGE })
  name!: string;
}

export class IssueApiKeyCommand extends Command {
  @IsString()
  @Length(1, 80)
  @Matches(/^[\w .:@-]+$/, { message: 'name may hold letters, digits, spaces and . : @ - _' })
  name: string = 'default';
}
