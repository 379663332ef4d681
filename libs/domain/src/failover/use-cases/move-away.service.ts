import { Inject, Injectable } from '@nestjs/common';
import { MoveDatabaseCommand } from '../../databases/use-cases/move-database/move-database.command';
import { MoveDatabaseUseCase } from '../../databases/use-cases/move-database/move-database.usecase';
import {
  DATABASE_REPOSITORY,
  DatabaseRepository,
  EVENT_REPOSITORY,
  EventRepository,
  HOST_REPOSITORY,
  HostRepository,
} from '../../ports';
import { FailoverException, FailoverExceptionCode } from '../failover.exception';
import { HostFailureService } from '../host-failure.service';
import { requireHost } from './require-host';

/** What drain and evacuate share: every database off the host, HA ones by failover, the others by a move. */
@Injectable()
export class MoveAwayFromHost {
  constructor(
    @Inject(DATABASE_REPOSITORY) private readonly databases: DatabaseRepository,
    @Inject(HOST_REPOSITORY) private readonly hosts: HostRepository,
    @Inject(EVENT_REPOSITORY) private readonly events: EventRepository,
    private readonly failure: HostFailureService,
    private readonly mover: MoveDatabaseUseCase,
  ) {}

  async run(hostId: string, actor: string, reason: 'drain' | 'evacuate') {
    const host = await requireHost(this.hosts, hostId);
    if (host.status === 'fenced' || host.status === 'down') {
      if (reason === 'drain')
        throw new FailoverException(FailoverExceptionCode.BadState, `host ${host.name} is ${host.status}: evacuate it`);
    } else {
      await this.hosts.transition(host.id, ['active', 'draining'], 'draining', `${reason} by ${actor}`);
    }
    await this.events.record({ type: `host.${reason}`, message: `${reason} of ${host.name} by ${actor}`, hostId });
    const started = await this.failure.startFailovers(host, reason, actor);
    const fresh = (await this.hosts.get(host.id))!;
    for (const f of started) if (fresh.status !== 'down' || f.ha === 'san') await this.failure.enqueue(f);
    // Databases without HA leave by a volume move (sync while running, short stop), which needs their host alive.
    const moves: { id: string; name: string; operationId: string }[] = [];
    const notMoved: { id: string; name: string; reason: string }[] = [];
    for (const d of (await this.databases.list({ hostId: host.id })).filter((x) => x.ha === 'none')) {
      if (fresh.status === 'down' || fresh.status === 'fenced') {
        notMoved.push({
          id: d.id,
          name: d.name,
          reason: `no HA and the host is ${fresh.status}: its data is unreachable`,
        });
        continue;
      }
      try {
        const op = await this.mover.execute(MoveDatabaseCommand.create({ databaseId: d.id }), actor);
        moves.push({ id: d.id, name: d.name, operationId: op.id });
      } catch (err) {
        notMoved.push({ id: d.id, name: d.name, reason: (err as Error).message });
      }
    }
    return { host: host.name, status: fresh.status, failovers: started.map((f) => f.id), moves, notMoved };
  }
}
