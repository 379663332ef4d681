import { Inject, Injectable } from '@nestjs/common';
import { HOST_CONNECTOR, HOST_REPOSITORY, HostConnector, HostRepository } from '../../../ports';
import { containerName } from '../../runtime/container-spec';
import { DatabaseOperationStarter } from '../../database-operation-starter';
import { DatabaseException, DatabaseExceptionCode } from '../../database.exception';

@Injectable()
export class GetLogsUseCase {
  constructor(
    private readonly starter: DatabaseOperationStarter,
    @Inject(HOST_REPOSITORY) private readonly hosts: HostRepository,
    @Inject(HOST_CONNECTOR) private readonly connector: HostConnector,
  ) {}

  async execute(tenantId: string | null, databaseId: string, tail: number): Promise<{ lines: string[] }> {
    const db = await this.starter.findOwned(tenantId, databaseId);
    const host = db.hostId ? await this.hosts.get(db.hostId) : null;
    if (!host) throw new DatabaseException(DatabaseExceptionCode.NoEndpoint, 'this database is not placed on a host');
    try {
      const runtime = await this.connector.runtime(host);
      return { lines: await runtime.logs(containerName(db.id), tail) };
    } catch (err) {
      // The host's engine did not answer: a 503 that says where, not a 500.
      throw new DatabaseException(
        DatabaseExceptionCode.HostUnavailable,
        `the logs could not be read on host ${host.name}: ${(err as Error).message}`,
      );
    }
  }
}
