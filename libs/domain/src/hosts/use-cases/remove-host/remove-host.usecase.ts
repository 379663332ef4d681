import { Inject, Injectable } from '@nestjs/common';
import {
  DATABASE_REPOSITORY,
  DatabaseRepository,
  EVENT_REPOSITORY,
  EventRepository,
  HOST_REPOSITORY,
  HostRepository,
} from '../../../ports';
import { HostException, HostExceptionCode } from '../../host.exception';

/** Forgets a host that carries no database any more. */
@Injectable()
export class RemoveHostUseCase {
  constructor(
    @Inject(HOST_REPOSITORY) private readonly hosts: HostRepository,
    @Inject(DATABASE_REPOSITORY) private readonly databases: DatabaseRepository,
    @Inject(EVENT_REPOSITORY) private readonly events: EventRepository,
  ) {}

  async execute(id: string, actor: string): Promise<void> {
    const host = await this.hosts.get(id);
    if (!host) throw new HostException(HostExceptionCode.NotFound, 'host not found');
    const live = await this.databases.list({ hostId: id });
    if (live.length > 0) {
      throw new HostException(
        HostExceptionCode.InUse,
        `host ${host.name} still carries ${live.length} database(s); evacuate it first`,
      );
    }
    await this.hosts.delete(id);
    await this.events.record({ type: 'host.removed', message: `host ${host.name} removed by ${actor}` });
  }
}
