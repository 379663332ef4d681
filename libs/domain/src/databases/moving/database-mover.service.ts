import { Inject, Injectable, Logger } from '@nestjs/common';
import { CommonEnv, ENV, portRange } from '@app/config';
import type { HostEntity, VolumeEntity } from '@app/persistence/entities';
import {
  TREE_SYNC,
  TreeLocation,
  TreeSync,
  DATABASE_REPOSITORY,
  DatabaseRepository,
  EVENT_REPOSITORY,
  EventRepository,
  HOST_CONNECTOR,
  HOST_REPOSITORY,
  HostConnector,
  HostRepository,
  OPERATION_REPOSITORY,
  OperationRepository,
  STORAGE_DRIVERS,
  StorageDrivers,
  VOLUME_REPOSITORY,
  VolumeRepository,
} from '../../ports';
import { reportTo } from '../../volumes/volume-copier.service';
import { containerName } from '../runtime/container-spec';
import { DatabaseRuntime, Loaded } from '../runtime/database-runtime.service';
import { OperationContext, StepFailed } from '../../operations/operation-context';

/** What a move keeps on its operation, so a retry resumes where the last attempt stopped. */
export interface MoveParams {
  targetHostId: string;
  incomingVolumeId?: string;
  /** Set at the cut-over: from then on the database lives on the target and the old copy is only cleaned up. */
  oldVolumeId?: string;
  oldHostId?: string;
  stoppedAt?: number;
  downtimeMs?: number;
}

/**
 * Moves a database (ha none) to another host or storage backend: a first sync pass while it runs, then a stop,
 * a final pass that moves only what changed, and a start on the target. The downtime is the final pass plus
 * the start; the image is pulled on the target before the stop so it is not part of it.
 */
@Injectable()
export class DatabaseMover {
  private readonly logger = new Logger(DatabaseMover.name);

  constructor(
    @Inject(DATABASE_REPOSITORY) private readonly databases: DatabaseRepository,
    @Inject(HOST_REPOSITORY) private readonly hosts: HostRepository,
    @Inject(VOLUME_REPOSITORY) private readonly volumes: VolumeRepository,
    @Inject(OPERATION_REPOSITORY) private readonly operations: OperationRepository,
    @Inject(EVENT_REPOSITORY) private readonly events: EventRepository,
    @Inject(HOST_CONNECTOR) private readonly connector: HostConnector,
    @Inject(STORAGE_DRIVERS) private readonly storage: StorageDrivers,
    @Inject(TREE_SYNC) private readonly sync: TreeSync,
    @Inject(ENV) private readonly env: CommonEnv,
    private readonly dbRuntime: DatabaseRuntime,
  ) {}

  async run(databaseId: string, op: OperationContext): Promise<void> {
    const params = await this.params(op.operationId);
    let l = await this.dbRuntime.loadLive(databaseId);
    const target = await this.hosts.get(params.targetHostId);
    if (!target) throw new StepFailed('move', 'the target host is gone');

    if (!params.oldVolumeId) {
      if (target.status !== 'active') throw new StepFailed('move', `the target host is ${target.status}`);
      const incoming = await this.incoming(l, target, params, op.operationId);
      const hostPath = await this.dbRuntime.step('target volume', () =>
        this.storage.get(incoming.driver).ensure(target, incoming),
      );
      await this.volumes.update(incoming.id, { path: hostPath.hostPath });
      const src: TreeLocation = {
        exec: await this.connector.executor(l.host),
        root: l.volume.path!,
        label: `${l.host.name}:${l.volume.path}`,
      };
      const dst: TreeLocation = { exec: await this.connector.executor(target), root: hostPath.hostPath };
      await op.progress(5, `copying to ${target.name} while the database runs`);
      const first = await this.dbRuntime.step('first pass', () =>
        this.sync.syncTree(src, dst, { live: true, onProgress: reportTo(op, 5, 60, 'first pass (live)') }),
      );
      // Pulled now, so the download is not part of the downtime.
      const spec = await this.dbRuntime.spec({ ...l, host: target }, hostPath.hostPath);
      await this.dbRuntime.step('image pull', async () =>
        (await this.connector.runtime(target)).ensureImage(spec.image),
      );

      // What changed during the first pass and the pull goes now, still live, so the stopped pass stays short.
      const catchUp = await this.dbRuntime.step('catch-up pass', () =>
        this.sync.syncTree(src, dst, {
          live: true,
          modifiedSince: first.sourceStartedAt,
          onProgress: reportTo(op, 60, 65, 'catch-up pass (live)'),
        }),
      );

      await op.progress(65, 'stopping the database for the final pass');
      params.stoppedAt ??= Date.now();
      await this.operations.setParams(op.operationId, { ...params });
      await this.dbRuntime.step('container stop', async () =>
        (await this.connector.runtime(l.host)).stop(containerName(l.db.id)),
      );
      const final = await this.dbRuntime.step('final pass', () =>
        this.sync.syncTree(src, dst, {
          modifiedSince: catchUp.sourceStartedAt,
          onProgress: reportTo(op, 65, 80, 'final pass (stopped)'),
        }),
      );
      this.logger.log(
        `move ${databaseId}: first pass ${first.transferredFiles} files/${first.transferredBytes} B, catch-up ${catchUp.transferredFiles} files/${catchUp.transferredBytes} B, final pass ${final.transferredFiles} files/${final.transferredBytes} B`,
      );
      // The cut-over: the database now lives on the target (a new port there), on the incoming volume.
      Object.assign(params, { oldVolumeId: l.volume.id, oldHostId: l.host.id });
      await this.operations.setParams(op.operationId, { ...params });
      await this.databases.moveTo(databaseId, target.id, portRange(this.env));
      await this.volumes.cutOver(l.volume.id, incoming.id);
      l = await this.dbRuntime.loadLive(databaseId);
    }

    await op.progress(85, `starting on ${target.name}`);
    const runtime = await this.connector.runtime(l.host);
    const spec = await this.dbRuntime.spec(l, l.volume.path!, (m) => op.progress(85, m));
    await this.dbRuntime.step('container start', () => runtime.ensureRunning(spec));
    await this.dbRuntime.waitReady(l, { retryCrash: true });
    await this.dbRuntime.applyLimits(l, (m) => op.progress(95, m));
    // Kept from the first attempt that got here: a re-run after the start does not stretch it.
    if (params.stoppedAt) params.downtimeMs ??= Date.now() - params.stoppedAt;
    await this.operations.setParams(op.operationId, { ...params });
    await this.cleanUpOld(params);
    const msg = `moved to ${target.name}; the database was stopped for ${params.downtimeMs ?? '?'} ms`;
    await this.events.record({
      type: 'database.moved',
      message: msg,
      tenantId: l.db.tenantId,
      databaseId,
      hostId: target.id,
      operationId: op.operationId,
    });
    await op.progress(100, msg);
  }

  /**
   * When the move gives up before its cut-over, the database must run where it was: its container is started
   * again on its own volume and the half-filled copy is removed.
   */
  async markFailed(operationId: string, databaseId: string): Promise<void> {
    const params = await this.params(operationId).catch(() => null);
    if (!params || params.oldVolumeId) return;
    try {
      const l = await this.dbRuntime.loadLive(databaseId);
      const runtime = await this.connector.runtime(l.host);
      await runtime.ensureRunning(await this.dbRuntime.spec(l, l.volume.path!));
      await this.dbRuntime.applyLimits(l);
      if (params.incomingVolumeId) {
        const v = await this.volumes.get(params.incomingVolumeId);
        const host = v ? await this.hosts.get(v.hostId) : null;
        if (v && host && !v.deletedAt) {
          await this.storage.get(v.driver).remove(host, v);
          await this.volumes.update(v.id, { deletedAt: new Date() });
        }
      }
    } catch (err) {
      this.logger.warn(`move ${operationId} roll-back: ${(err as Error).message}`);
    }
  }

  private async incoming(
    l: Loaded,
    target: HostEntity,
    params: MoveParams,
    operationId: string,
  ): Promise<VolumeEntity> {
    const existing = params.incomingVolumeId ? await this.volumes.get(params.incomingVolumeId) : null;
    if (existing && !existing.deletedAt) return existing;
    const v = await this.volumes.createIncoming({
      databaseId: l.db.id,
      hostId: target.id,
      driver: target.storageDriver,
      sizeGb: l.volume.sizeGb,
    });
    params.incomingVolumeId = v.id;
    await this.operations.setParams(operationId, { ...params });
    return v;
  }

  /** The old container and volume, once the database answers on the target. Idempotent. */
  private async cleanUpOld(params: MoveParams): Promise<void> {
    if (!params.oldHostId || !params.oldVolumeId) return;
    const host = await this.hosts.get(params.oldHostId);
    const volume = await this.volumes.get(params.oldVolumeId);
    if (!host || !volume) return;
    const runtime = await this.connector.runtime(host);
    await this.dbRuntime.step('old container removal', () => runtime.remove(containerName(volume.databaseId)));
    const db = await this.databases.get(volume.databaseId);
    if (db) await this.dbRuntime.cleanUpHost(host, db);
    await this.dbRuntime.step('old volume removal', () => this.storage.get(volume.driver).remove(host, volume));
  }

  private async params(operationId: string): Promise<MoveParams> {
    const row = await this.operations.get(operationId);
    if (!row?.params.targetHostId) throw new StepFailed('move', 'the operation has no target host');
    return row.params as unknown as MoveParams;
  }
}
