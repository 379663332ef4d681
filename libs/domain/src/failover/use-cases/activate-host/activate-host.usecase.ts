import { Inject, Injectable } from '@nestjs/common';
import {
  EVENT_REPOSITORY,
  EventRepository,
  HOST_REPOSITORY,
  HostRepository,
  STORAGE_DRIVERS,
  StorageDrivers,
  VOLUME_REPOSITORY,
  VolumeRepository,
} from '../../../ports';
import { FailoverException, FailoverExceptionCode } from '../../failover.exception';
import { HostFailureService } from '../../host-failure.service';
import { requireHost } from '../require-host';

/**
 * Lets a host back in after an operator checked it: stale containers of databases that moved away are removed,
 * its DRBD copies rejoin as secondaries (and resync), and it takes new databases again.
 */
@Injectable()
export class ActivateHostUseCase {
  constructor(
    @Inject(HOST_REPOSITORY) private readonly hosts: HostRepository,
    @Inject(VOLUME_REPOSITORY) private readonly volumes: VolumeRepository,
    @Inject(EVENT_REPOSITORY) private readonly events: EventRepository,
    @Inject(STORAGE_DRIVERS) private readonly storage: StorageDrivers,
    private readonly failure: HostFailureService,
  ) {}

  async execute(
    hostId: string,
    actor: string,
  ): Promise<{ host: string; status: string; removedContainers: string[]; rejoinedMirrors: string[] }> {
    const host = await requireHost(this.hosts, hostId);
    const cleaned: string[] = [];
    const rejoined: string[] = [];
    if (host.status === 'fenced' || host.status === 'down') {
      try {
        for (const v of await this.volumes.listMirroredOn(host.id)) {
          const driver = this.storage.get(v.driver);
          if (driver.rejoin) {
            await driver.rejoin(host, v);
            rejoined.push(v.databaseId);
          }
        }
        cleaned.push(...(await this.failure.removeStaleContainers(host)));
      } catch (err) {
        // A host just powered on may not answer yet (seen in the lab: sshd still starting). It is not let back in
        // half prepared; the operator is told why, and trying again is safe (rejoin and clean-up are idempotent).
        throw new FailoverException(
          FailoverExceptionCode.HostUnavailable,
          `host ${host.name} could not be prepared to come back: ${(err as Error).message}. It is still ${host.status}; ` +
            `try again once it answers`,
        );
      }
    }
    await this.hosts.transition(host.id, ['fenced', 'down', 'draining'], 'active', null);
    await this.events.record({
      type: 'host.activated',
      message: `host ${host.name} activated by ${actor}`,
      hostId: host.id,
    });
    return { host: host.name, status: 'active', removedContainers: cleaned, rejoinedMirrors: rejoined };
  }
}
