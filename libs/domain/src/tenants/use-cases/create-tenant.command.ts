import { IsString, Length, Matches } from 'class-validator';
import { Command, IsResourceName } from '../../shared';

export class CreateTenantCommand extends Command {
  @IsResourceName()
  name!: string;
}

export class IssueApiKeyCommand extends Command {
  @IsString()
  @Length(1, 80)
  @Matches(/^[\w .:@-]+$/, { message: 'name may hold letters, digits, spaces and . : @ - _' })
  name: string = 'default';
}
