import { Inject, Injectable } from '@nestjs/common';
import type { TlsMode } from '@app/persistence/entities';
import { OperationContext } from '../../operations/operation-context';
import {
  DATABASE_REPOSITORY,
  DatabaseRepository,
  HOST_CONNECTOR,
  HostConnector,
  OPERATION_REPOSITORY,
  OperationRepository,
} from '../../ports';
import { containerName } from '../runtime/container-spec';
import { DatabaseRuntime } from '../runtime/database-runtime.service';
import { DatabaseNetworkPolicy } from '../runtime/network-policy.service';
import { DatabaseJobOutcome } from './database-job-outcome.service';

/** The restart-database job (and a change of TLS mode): the container restarted, or replaced on the same volume. */
@Injectable()
export class RestartDatabaseJob {
  constructor(
    @Inject(DATABASE_REPOSITORY) private readonly databases: DatabaseRepository,
    @Inject(OPERATION_REPOSITORY) private readonly operations: OperationRepository,
    @Inject(HOST_CONNECTOR) private readonly connector: HostConnector,
    private readonly dbRuntime: DatabaseRuntime,
    private readonly network: DatabaseNetworkPolicy,
    private readonly outcome: DatabaseJobOutcome,
  ) {}

  async run(databaseId: string, op: OperationContext): Promise<void> {
    // A change of TLS mode (PUT /v1/databases/:id/tls) is recorded here, under the database's lock: the container's
    // definition changes with it, so it is replaced on the same volume below.
    const tls = (await this.operations.get(op.operationId))?.params.tls as TlsMode | undefined;
    let l = await this.dbRuntime.loadLive(databaseId);
    if (tls && tls !== l.db.tls) {
      await this.databases.update(databaseId, { tls });
      l = await this.dbRuntime.loadLive(databaseId);
      await op.progress(5, `TLS ${tls}`);
    }
    const runtime = await this.connector.runtime(l.host);
    // A restart of an unchanged container does not go through the spec's preparation: the list is applied here.
    await op.progress(5, 'applying the IP allow-list');
    await this.network.applyAllowList(l.host, l.db);
    await op.progress(10, 'restarting the container');
    const state = await runtime.inspect(containerName(l.db.id));
    if (state) {
      // Through the container's definition of now: one made before a change of it (its sandbox, its network, the
      // image's user) is replaced on the same volume instead; an unchanged one is restarted.
      const spec = await this.dbRuntime.spec(l, l.volume.path ?? (await this.dbRuntime.ensureVolume(l)), (m) =>
        op.progress(10, m),
      );
      const started = await this.dbRuntime.step('container start', () => runtime.ensureRunning(spec));
      if (!started.created)
        await this.dbRuntime.step('container restart', () => runtime.restart(containerName(l.db.id)));
    } else {
      // Lost container (host rebuilt, manual removal): recreate it on the same volume.
      const hostPath = await this.dbRuntime.ensureVolume(l);
      await this.dbRuntime.ensureVip(l.db, l.host);
      const spec = await this.dbRuntime.spec(l, hostPath, (m) => op.progress(10, m));
      await this.dbRuntime.step('container start', () => runtime.ensureRunning(spec));
    }
    await op.progress(50, 'waiting for the database to accept connections');
    await this.dbRuntime.waitReady(l);
    // A restarted container has a new network namespace, without the shaping.
    await this.dbRuntime.applyLimits(l, (m) => op.progress(95, m));
    await this.outcome.finish(databaseId, 'running', 'database.restarted', 'restarted', op);
  }
}
