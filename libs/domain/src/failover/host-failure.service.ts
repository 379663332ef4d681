import { Inject, Injectable, Logger } from '@nestjs/common';
import { CommonEnv, ENV, vipRange } from '@app/config';
import { JOB_QUEUE, JobName, JobQueue } from '@app/jobs';
import type { FailoverEntity, FailoverReason, HostEntity } from '@app/persistence/entities';
import { enqueueOrDefer } from '../operations/enqueue-or-defer';
import {
  DATABASE_REPOSITORY,
  DatabaseRepository,
  EVENT_REPOSITORY,
  EventRepository,
  FAILOVER_REPOSITORY,
  FailoverRepository,
  FENCER,
  Fencer,
  FenceResult,
  HOST_CONNECTOR,
  HOST_REPOSITORY,
  HostConnector,
  HostRepository,
} from '../ports';
import { containerName } from '../databases/runtime/container-spec';
import { IngressAllowList } from '../databases/runtime/ingress-allow-list';

export const FAILOVER_WORKER = 'failover-worker';

/**
 * What happens to a host that died: declared down (once, whichever worker sees it first), its HA databases'
 * failovers recorded, the host fenced, then the takeovers let loose. Also what operators' "fence" runs.
 */
@Injectable()
export class HostFailureService {
  private readonly logger = new Logger(HostFailureService.name);

  constructor(
    @Inject(HOST_REPOSITORY) private readonly hosts: HostRepository,
    @Inject(DATABASE_REPOSITORY) private readonly databases: DatabaseRepository,
    @Inject(FAILOVER_REPOSITORY) private readonly failovers: FailoverRepository,
    @Inject(EVENT_REPOSITORY) private readonly events: EventRepository,
    @Inject(FENCER) private readonly fencer: Fencer,
    @Inject(JOB_QUEUE) private readonly jobs: JobQueue,
    @Inject(HOST_CONNECTOR) private readonly connector: HostConnector,
    @Inject(ENV) private readonly env: CommonEnv,
  ) {}

  /** Returns false when the host was not up (already handled, or being drained by hand into another state). */
  async declareDown(host: HostEntity, detectedAt: Date, detail: string, actor = FAILOVER_WORKER): Promise<boolean> {
    if (!(await this.hosts.transition(host.id, ['active', 'draining'], 'down', `unreachable: ${detail}`))) return false;
    this.logger.warn(`host ${host.name} declared down (${detail})`);
    await this.events.record({
      type: 'host.down',
      message: `host ${host.name} declared down by ${actor}: ${detail}`,
      hostId: host.id,
    });
    await this.startFailovers(host, 'host-down', actor, detectedAt);
    await this.fenceAndRelease(host);
    return true;
  }

  /** Records a failover for each HA database whose primary is on the host (idempotent per database). */
  async startFailovers(
    host: HostEntity,
    reason: FailoverReason,
    actor: string,
    detectedAt = new Date(),
    toHostId: string | null = null,
  ): Promise<FailoverEntity[]> {
    const out: FailoverEntity[] = [];
    for (const db of await this.databases.list({ hostId: host.id })) {
      if (db.ha === 'none') {
        if (reason === 'host-down')
          await this.events.record({
            type: 'database.host-down',
            message: `host ${host.name} is down and this database has no HA: it is unavailable until the host returns`,
            tenantId: db.tenantId,
            databaseId: db.id,
            hostId: host.id,
          });
        continue;
      }
      if (['deleting', 'deleted', 'provisioning'].includes(db.status)) continue;
      try {
        const { failover } = await this.failovers.start({
          databaseId: db.id,
          reason,
          fromHostId: host.id,
          toHostId,
          actor,
          detectedAt,
        });
        out.push(failover);
      } catch (err) {
        this.logger.error(`failover of ${db.id} off ${host.name} not started: ${(err as Error).message}`);
      }
    }
    return out;
  }

  /**
   * Fences the host, then enqueues the takeovers that may run: all of them once it is fenced; before that only the
   * SAN ones (the storage server's ACL switch fences the LUN itself). Safe to call again while the host is down.
   */
  async fenceAndRelease(host: HostEntity, vouched?: FenceResult): Promise<FenceResult> {
    // `vouched`: an operator states the host is off (like fence_ack_manual); no fencing method is run.
    const result = vouched ?? (await this.fencer.fence(host));
    const running = (await this.failovers.list({ hostId: host.id, status: 'running', limit: 1000 })).filter(
      (f) => f.fromHostId === host.id,
    );
    if (result.fenced) {
      await this.hosts.transition(host.id, ['down', 'active', 'draining'], 'fenced', `fenced (${result.method})`);
      for (const f of running) await this.failovers.mark(f.id, 'fencedAt');
      await this.events.record({
        type: 'host.fenced',
        message: `host ${host.name} fenced: ${result.detail}`,
        hostId: host.id,
      });
    } else {
      this.logger.warn(`host ${host.name} not fenced: ${result.detail}`);
      await this.hosts.update(host.id, { statusReason: `not fenced yet: ${result.detail}`.slice(0, 300) });
    }
    for (const f of running) {
      if (result.fenced || f.ha === 'san') await this.enqueue(f);
    }
    return result;
  }

  /** A returning host's containers of databases that now run elsewhere: removed before it serves anything. */
  async removeStaleContainers(host: HostEntity): Promise<string[]> {
    const runtime = await this.connector.runtime(host);
    const removed: string[] = [];
    const all = await this.databases.list({});
    // The allow-lists of databases that left while the host was cut off (the list of each one now lives where
    // it runs; here it would filter whatever takes its address and port next).
    const here = all.filter((db) => db.hostId === host.id && db.status !== 'deleted').map((db) => db.id);
    await new IngressAllowList(await this.connector.executor(host))
      .sweep(here)
      .catch((err: Error) => this.logger.warn(`allow-lists of ${host.name} not swept: ${err.message}`));
    for (const db of all) {
      if (db.hostId === host.id) continue;
      // Its container, and what the runtime keeps for it (an HA database's network holder, which holds no VIP).
      if (await runtime.remove(containerName(db.id))) {
        if (db.vip) await (await this.connector.vips(host)).remove(db.vip, vipRange(this.env)?.prefixLen ?? 32);
        removed.push(db.id);
      }
    }
    return removed;
  }

  async enqueue(f: FailoverEntity): Promise<void> {
    if (!f.operationId) return;
    await enqueueOrDefer(this.jobs, this.logger, {
      name: JobName.FailoverDatabase,
      data: { operationId: f.operationId, databaseId: f.databaseId },
    });
  }
}
