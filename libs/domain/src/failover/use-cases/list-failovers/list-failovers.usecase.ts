import { Inject, Injectable } from '@nestjs/common';
import { FAILOVER_REPOSITORY, FailoverRepository, HOST_REPOSITORY, HostRepository } from '../../../ports';
import { FailoverView, toFailoverView } from '../../failover.view';
import { ListFailoversQuery } from './list-failovers.command';

@Injectable()
export class ListFailoversUseCase {
  constructor(
    @Inject(FAILOVER_REPOSITORY) private readonly failovers: FailoverRepository,
    @Inject(HOST_REPOSITORY) private readonly hosts: HostRepository,
  ) {}

  async execute(q: ListFailoversQuery): Promise<FailoverView[]> {
    const [rows, hosts] = await Promise.all([
      this.failovers.list({ databaseId: q.databaseId, hostId: q.hostId, status: q.status, limit: q.limit ?? 100 }),
      this.hosts.list(),
    ]);
    const byId = new Map(hosts.map((h) => [h.id, h]));
    return rows.map((f) => toFailoverView(f, byId));
  }
}
