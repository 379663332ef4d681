import { Inject, Injectable } from '@nestjs/common';
import {
  EVENT_REPOSITORY,
  EventRepository,
  FENCER,
  Fencer,
  HOST_REPOSITORY,
  HostRepository,
  SECRET_BOX,
  SecretSealer,
} from '../../../ports';
import { HostException, HostExceptionCode } from '../../host.exception';
import { HostView, toHostView } from '../../host.view';
import { SetFencingCommand } from './set-fencing.command';
import { storedFencing } from './stored-fencing';

/** Replaces the host's fencing, with the rules of registration. */
@Injectable()
export class SetFencingUseCase {
  constructor(
    @Inject(HOST_REPOSITORY) private readonly hosts: HostRepository,
    @Inject(EVENT_REPOSITORY) private readonly events: EventRepository,
    @Inject(SECRET_BOX) private readonly secrets: SecretSealer,
    @Inject(FENCER) private readonly fencer: Fencer,
  ) {}

  async execute(cmd: SetFencingCommand, actor: string): Promise<HostView> {
    const id = cmd.hostId;
    const host = await this.hosts.get(id);
    if (!host) throw new HostException(HostExceptionCode.NotFound, 'host not found');
    const fencing = await storedFencing(this.fencer, this.secrets, cmd.fencing, host.fencing);
    await this.hosts.update(id, { fencing });
    // The agent's name only: its parameters may name devices and accounts.
    const what = fencing?.driver === 'agent' ? `agent ${fencing.agent}` : (fencing?.driver ?? 'none');
    await this.events.record({
      type: 'host.fencing-set',
      message: `host ${host.name}: fencing set to ${what} by ${actor}`,
      hostId: id,
    });
    const updated = (await this.hosts.get(id))!;
    return toHostView(updated, !!(await this.hosts.getSealedKey(id)));
  }
}
