import { Inject, Injectable } from '@nestjs/common';
import { FLEET_QUERIES, FleetQueries, HOST_REPOSITORY, HostRepository } from '../../../ports';
import { HostView, toHostView } from '../../host.view';

@Injectable()
export class ListHostsUseCase {
  constructor(
    @Inject(HOST_REPOSITORY) private readonly hosts: HostRepository,
    @Inject(FLEET_QUERIES) private readonly fleet: FleetQueries,
  ) {}

  async execute(): Promise<HostView[]> {
    const [hosts, inventory, keyed] = await Promise.all([
      this.hosts.list(),
      this.fleet.hostInventory(),
      this.hosts.idsWithKey(),
    ]);
    return hosts.map((h) => ({
      ...toHostView(h, keyed.has(h.id)),
      databases: inventory.get(h.id)?.databases ?? 0,
      luns: inventory.get(h.id)?.luns ?? 0,
    }));
  }
}
