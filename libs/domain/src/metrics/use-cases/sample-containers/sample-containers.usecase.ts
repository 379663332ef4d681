import { Inject, Injectable, Logger } from '@nestjs/common';
import type { DatabaseEntity, DatabaseSampleEntity, HostEntity } from '@app/persistence/entities';
import {
  DATABASE_REPOSITORY,
  DatabaseRepository,
  HOST_CONNECTOR,
  HOST_REPOSITORY,
  HostConnector,
  HostRepository,
  RESOURCE_LOCK,
  ResourceLock,
  SAMPLE_REPOSITORY,
  SampleRepository,
} from '../../../ports';
import { containerName } from '../../../databases/runtime/container-spec';
import { DatabaseNetworkPolicy } from '../../../databases/runtime/network-policy.service';
import { databaseLockKey } from '../../../operations/operation-runner';
import { withTimeout } from '../../../shared';

// One host that does not answer must not hold up the round: each host is bounded on its own.
const HOST_BUDGET_MS = 20_000;

/**
 * Reads what every running database's container uses (CPU, memory, network, block I/O) from its host's
 * container engine and keeps the latest reading per database, for /metrics and the rebalancer. On the same
 * round it puts back egress shaping that a restart outside the platform dropped (a new network namespace).
 */
@Injectable()
export class SampleContainersUseCase {
  private readonly logger = new Logger(SampleContainersUseCase.name);

  constructor(
    @Inject(HOST_REPOSITORY) private readonly hosts: HostRepository,
    @Inject(DATABASE_REPOSITORY) private readonly databases: DatabaseRepository,
    @Inject(HOST_CONNECTOR) private readonly connector: HostConnector,
    @Inject(SAMPLE_REPOSITORY) private readonly samples: SampleRepository,
    @Inject(RESOURCE_LOCK) private readonly lock: ResourceLock,
    private readonly network: DatabaseNetworkPolicy,
  ) {}

  async execute(): Promise<{ sampled: number; failedHosts: string[] }> {
    const [hosts, dbs] = await Promise.all([this.hosts.list(), this.databases.list({ status: 'running' })]);
    const failedHosts: string[] = [];
    let sampled = 0;
    await Promise.all(
      hosts
        .filter((h) => h.status === 'active' || h.status === 'draining')
        .map(async (host) => {
          const mine = dbs.filter((d) => d.hostId === host.id);
          if (mine.length === 0) return;
          try {
            const rows = await withTimeout(this.sampleHost(host, mine), HOST_BUDGET_MS, `${host.name}: no answer`);
            await this.samples.upsert(rows);
            sampled += rows.length;
          } catch (err) {
            failedHosts.push(host.name);
            this.logger.warn(`sampling ${host.name} failed: ${(err as Error).message}`);
          }
        }),
    );
    await this.samples.prune();
    return { sampled, failedHosts };
  }

  private async sampleHost(host: HostEntity, dbs: DatabaseEntity[]): Promise<DatabaseSampleEntity[]> {
    const stats = await this.connector.stats(host);
    const rows: DatabaseSampleEntity[] = [];
    for (const db of dbs) {
      const s = await stats.read(containerName(db.id));
      if (!s) continue; // not running right now: the next round will see it
      rows.push({ databaseId: db.id, hostId: host.id, ...s, sampledAt: new Date() });
      await this.ensureEgress(host, db).catch((err: Error) => {
        this.logger.warn(`egress check of ${db.id} on ${host.name} failed: ${err.message}`);
      });
    }
    return rows;
  }

  /**
   * Puts the plan's egress back, unless a job holds the database: a resize or a restart shapes the container
   * itself, and read meanwhile the database still names the plan it is leaving (the check would undo the job's
   * shaping). The next round checks it.
   */
  private async ensureEgress(host: HostEntity, db: DatabaseEntity): Promise<void> {
    const held = await this.lock.tryHold(databaseLockKey(db.id));
    if (!held) return;
    try {
      // Read again under the lock: a job that ended since the round began may have changed its plan.
      const now = await this.databases.get(db.id);
      if (now?.status !== 'running' || now.hostId !== host.id) return;
      // First and on its own: a failed outbound check must not keep the allow-list from being put back.
      await this.network.ensureAllowList(host, now).catch((err: Error) => {
        this.logger.warn(`allow-list check of ${db.id} on ${host.name} failed: ${err.message}`);
      });
      await this.network.ensureEgress(host, now);
    } finally {
      await held.release();
    }
  }
}
