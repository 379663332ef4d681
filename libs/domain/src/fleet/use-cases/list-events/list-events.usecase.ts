import { Inject, Injectable } from '@nestjs/common';
import type { EventEntity } from '@app/persistence/entities';
import { EVENT_REPOSITORY, EventRepository } from '../../../ports';

/** What happened in the fleet, newest first: e.g. `host.key-mismatch`, an impostor refused at a host's address. */
@Injectable()
export class ListEventsUseCase {
  constructor(@Inject(EVENT_REPOSITORY) private readonly events: EventRepository) {}

  execute(q: { type?: string; hostId?: string; limit?: number }): Promise<EventEntity[]> {
    return this.events.list({ type: q.type, hostId: q.hostId, limit: q.limit ?? 100 });
  }
}
