import { Inject, Injectable } from '@nestjs/common';
import { EVENT_REPOSITORY, HOST_REPOSITORY, type EventRepository, type HostRepository } from '../../../ports';
import { FleetAlarm, readFleetAlarm } from '../../../failover/fleet-alarm';

/** The fleet alarm for the console's banner (the failover worker raises and clears it; see failover/fleet-alarm.ts). */
@Injectable()
export class GetFleetAlarmUseCase {
  constructor(
    @Inject(EVENT_REPOSITORY) private readonly events: EventRepository,
    @Inject(HOST_REPOSITORY) private readonly hosts: HostRepository,
  ) {}

  async execute(): Promise<FleetAlarm> {
    return readFleetAlarm(this.events, await this.hosts.list());
  }
}
