import { Command, IsResourceName } from '../../../shared';

export class CreateTenantCommand extends Command {
  @IsResourceName()
  name!: string;
}
