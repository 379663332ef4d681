import { Inject, Injectable } from '@nestjs/common';
import { EVENT_REPOSITORY, EventRepository, HOST_REPOSITORY, HostRepository } from '../../../ports';
import { parseHostKeyFingerprint } from '../../../shared';
import { HostException, HostExceptionCode } from '../../host.exception';
import { HostView, toHostView } from '../../host.view';
import { SetHostKeyCommand } from './set-host-key.command';

/** The operator confirms the key recorded on first contact, or replaces it (a host reinstalled, its key rotated). */
@Injectable()
export class SetHostKeyUseCase {
  constructor(
    @Inject(HOST_REPOSITORY) private readonly hosts: HostRepository,
    @Inject(EVENT_REPOSITORY) private readonly events: EventRepository,
  ) {}

  async execute(cmd: SetHostKeyCommand, actor: string): Promise<HostView> {
    const id = cmd.hostId;
    const host = await this.hosts.get(id);
    if (!host) throw new HostException(HostExceptionCode.NotFound, 'host not found');
    const fingerprint = parseHostKeyFingerprint(cmd.hostKeyFingerprint)!;
    await this.hosts.pinHostKey(id, fingerprint, false);
    await this.events.record({
      type: 'host.key-pinned',
      message: `host ${host.name}: SSH host key ${fingerprint} pinned by ${actor} (was ${host.hostKeyFingerprint ?? 'none'})`,
      hostId: id,
      data: { previous: host.hostKeyFingerprint, fingerprint },
    });
    const updated = (await this.hosts.get(id))!;
    return toHostView(updated, !!(await this.hosts.getSealedKey(id)));
  }
}
