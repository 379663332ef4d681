import { Inject, Injectable } from '@nestjs/common';
import { FAILOVER_REPOSITORY, FailoverRepository, HOST_REPOSITORY, HostRepository } from '../../../ports';
import { FailoverException, FailoverExceptionCode } from '../../failover.exception';
import { FailoverView, toFailoverView } from '../../failover.view';

@Injectable()
export class GetFailoverUseCase {
  constructor(
    @Inject(FAILOVER_REPOSITORY) private readonly failovers: FailoverRepository,
    @Inject(HOST_REPOSITORY) private readonly hosts: HostRepository,
  ) {}

  async execute(id: string): Promise<FailoverView> {
    const f = await this.failovers.get(id);
    if (!f) throw new FailoverException(FailoverExceptionCode.DatabaseNotFound, 'failover not found');
    return toFailoverView(f, new Map((await this.hosts.list()).map((h) => [h.id, h])));
  }
}
