import { Inject, Injectable } from '@nestjs/common';
import { OperationContext } from '../../operations/operation-context';
import { EVENT_REPOSITORY, EventRepository } from '../../ports';
import { DatabaseRuntime } from '../runtime/database-runtime.service';
import { DatabaseNetworkPolicy } from '../runtime/network-policy.service';

@Injectable()
export class UpdateAllowedCidrsJob {
  constructor(
    @Inject(EVENT_REPOSITORY) private readonly events: EventRepository,
    private readonly dbRuntime: DatabaseRuntime,
    private readonly network: DatabaseNetworkPolicy,
  ) {}

  /** The job of PUT …/allowed-cidrs: the row's list (the newest asked) on the database's host, no restart. */
  async run(databaseId: string, op: OperationContext): Promise<void> {
    const l = await this.dbRuntime.loadLive(databaseId);
    const cidrs = l.db.allowedCidrs ?? [];
    await op.progress(30, `applying the IP allow-list on ${l.host.name}`);
    await this.network.applyAllowList(l.host, l.db);
    const message = cidrs.length
      ? `reachable only from ${cidrs.join(', ')}`.slice(0, 2000)
      : 'reachable from anywhere (no allow-list)';
    await this.events.record({
      type: 'database.allow-list-updated',
      message,
      tenantId: l.db.tenantId,
      databaseId,
      hostId: l.host.id,
      operationId: op.operationId,
    });
    await op.progress(100, message);
  }
}
