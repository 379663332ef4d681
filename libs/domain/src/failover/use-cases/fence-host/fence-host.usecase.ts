import { Inject, Injectable } from '@nestjs/common';
import { EVENT_REPOSITORY, EventRepository, HOST_REPOSITORY, HostRepository } from '../../../ports';
import { FailoverException, FailoverExceptionCode } from '../../failover.exception';
import { HostFailureService } from '../../host-failure.service';
import { requireHost } from '../require-host';
import { FenceHostCommand } from './fence-host.command';

/** An operator fences a host: declared down, its HA databases' failovers started, the machine powered off. */
@Injectable()
export class FenceHostUseCase {
  constructor(
    @Inject(HOST_REPOSITORY) private readonly hosts: HostRepository,
    @Inject(EVENT_REPOSITORY) private readonly events: EventRepository,
    private readonly failure: HostFailureService,
  ) {}

  async execute(cmd: FenceHostCommand, actor: string) {
    const host = await requireHost(this.hosts, cmd.hostId);
    if (cmd.confirm !== host.name)
      throw new FailoverException(
        FailoverExceptionCode.ConfirmationRequired,
        `fencing powers ${host.name} off: repeat its name in "confirm"`,
      );
    if (host.connection === 'local')
      throw new FailoverException(FailoverExceptionCode.NotFenceable, 'the control plane host cannot be fenced');
    if (host.status === 'fenced') return { host: host.name, status: 'fenced', failovers: [] as string[] };
    await this.hosts.transition(host.id, ['active', 'draining'], 'down', `fenced by ${actor}`);
    await this.events.record({
      type: 'host.fence-requested',
      message: `fence of ${host.name} by ${actor}`,
      hostId: host.id,
    });
    const started = await this.failure.startFailovers(host, 'host-down', actor);
    // poweredOff: the operator vouches that the machine is off; no fencing method is run.
    const result = await this.failure.fenceAndRelease(
      host,
      cmd.poweredOff ? { fenced: true, method: 'operator', detail: `declared powered off by ${actor}` } : undefined,
    );
    return {
      host: host.name,
      status: result.fenced ? 'fenced' : 'down',
      fencing: result,
      failovers: started.map((f) => f.id),
    };
  }
}
