import { Inject, Injectable, Logger } from '@nestjs/common';
import type { DatabaseEntity, HostEntity, VolumeEntity } from '@app/persistence/entities';
import { containerName } from '../databases/runtime/container-spec';
import { DatabaseRuntime } from '../databases/runtime/database-runtime.service';
import { databaseLockKey } from '../operations/operation-runner';
import {
  DATABASE_REPOSITORY,
  DatabaseRepository,
  HOST_CONNECTOR,
  HostConnector,
  HOST_REPOSITORY,
  HostRepository,
  RESOURCE_LOCK,
  ResourceLock,
  STORAGE_DRIVERS,
  StorageDrivers,
} from '../ports';

/** busy: an operation held the database (a create making its own standby, a takeover); the next round makes it. */
export type StandbyOutcome = 'ready' | 'not-known' | 'not-made' | 'busy';

// A round does not wait for an operation: the database is left for the next check.
const LOCK_WAIT_MS = 1000;

/**
 * Where an HA database would be taken over is often known before anything fails: a DRBD database's peer, or the
 * one other host of its SAN backend. There, while nothing is failing, the start's parts that do not need the volume
 * are made: the tenant's network (seconds of a small host's CPU), the image, the certificate for that host, and the
 * container itself, created (never started) and bound under the unmounted mount point, with the guard that makes a
 * start without the volume fail and the database's allow-list. A takeover then finds them and starts the container
 * once the storage is there. A host with several candidates gets none: the takeover chooses at the time.
 */
@Injectable()
export class StandbyService {
  private readonly logger = new Logger(StandbyService.name);

  constructor(
    @Inject(DATABASE_REPOSITORY) private readonly databases: DatabaseRepository,
    @Inject(HOST_REPOSITORY) private readonly hosts: HostRepository,
    @Inject(HOST_CONNECTOR) private readonly connector: HostConnector,
    @Inject(STORAGE_DRIVERS) private readonly storage: StorageDrivers,
    private readonly dbRuntime: DatabaseRuntime,
    @Inject(RESOURCE_LOCK) private readonly lock: ResourceLock,
  ) {}

  /** The host a takeover of `db` would go to now among `hosts` (the fleet), when there is exactly one. */
  standbyHost(db: DatabaseEntity, volume: VolumeEntity | null, hosts: HostEntity[]): HostEntity | null {
    if (db.ha === 'none' || !db.hostId || !volume) return null;
    const driver = this.storage.get(volume.driver);
    if (!driver.takeoverCandidates || !driver.takeoverPaths) return null;
    const healthy = hosts.filter((h) => h.status === 'active' && h.id !== db.hostId);
    const candidates = driver.takeoverCandidates(volume, healthy);
    return candidates.length === 1 ? candidates[0] : null;
  }

  /**
   * Makes the standby of one running HA database (idempotent: what is there is kept). Never throws: a standby is
   * only an optimisation, and a takeover makes whatever is missing.
   */
  async prepare(databaseId: string): Promise<StandbyOutcome> {
    const db = await this.databases.get(databaseId);
    return db ? this.prepareFor(db, await this.hosts.list()) : 'not-known';
  }

  /**
   * What decides where standbys go: the active hosts, and where each running HA database runs. The worker's standby
   * loop makes a round as soon as this changes (a host let back in after a power cut, a database taken over or
   * moved), not only at its interval: a power cut in that window would find no standby.
   */
  async placement(): Promise<string> {
    const [hosts, dbs] = await Promise.all([this.hosts.list(), this.databases.list({ status: 'running' })]);
    return JSON.stringify([
      hosts
        .filter((h) => h.status === 'active')
        .map((h) => h.id)
        .sort(),
      dbs
        .filter((d) => d.ha !== 'none')
        .map((d) => `${d.id}@${d.hostId}`)
        .sort(),
    ]);
  }

  /** A round over every running HA database (the worker's standby loop): the fleet read once for all. */
  async prepareAll(): Promise<Record<StandbyOutcome, number>> {
    const counts: Record<StandbyOutcome, number> = { ready: 0, 'not-known': 0, 'not-made': 0, busy: 0 };
    const hosts = await this.hosts.list();
    for (const db of await this.databases.list({ status: 'running' })) {
      if (db.ha === 'none') continue;
      // Under the database's lock, as its operations: a create that makes its own standby while the round (woken
      // by that new database) makes it too made the tenant's network twice on the host (seen in the HA lab:
      // "network … is ambiguous", the create's standby failed). prepareFor never throws: a throw is the lock's.
      const outcome = await this.lock
        .withLock(databaseLockKey(db.id), () => this.prepareFor(db, hosts), LOCK_WAIT_MS)
        .catch((): StandbyOutcome => 'busy');
      counts[outcome]++;
    }
    return counts;
  }

  private async prepareFor(db: DatabaseEntity, hosts: HostEntity[]): Promise<StandbyOutcome> {
    if (db.status !== 'running' || db.ha === 'none') return 'not-known';
    try {
      // Its volume, plan and secrets as every start reads them; the host is the standby's.
      const l = await this.dbRuntime.loadLive(db.id, ['running']);
      const host = this.standbyHost(l.db, l.volume, hosts);
      const at = host ? this.storage.get(l.volume.driver).takeoverPaths?.(host, l.volume) : undefined;
      if (!host || !at) return 'not-known';
      await this.dbRuntime.readyAhead({ ...l, host });
      return (await this.dbRuntime.createAhead({ ...l, host }, at, 'standby')) ? 'ready' : 'not-made';
    } catch (err) {
      this.logger.warn(`database ${db.id}: no standby made: ${(err as Error).message}`);
      return 'not-made';
    }
  }

  /**
   * A deleted database's standby (its container, files and allow-list): on its DRBD peer and on its standby host. Never fails the caller: a
   * host that does not answer keeps it until it is let back in (ActivateHostUseCase removes stale containers).
   */
  async remove(db: DatabaseEntity, volume: VolumeEntity | null): Promise<void> {
    if (db.ha === 'none' || !volume) return;
    const hosts = await this.hosts.list();
    const ids = new Set([volume.peerHostId, this.standbyHost(db, volume, hosts)?.id]);
    for (const id of ids) {
      const host = id && id !== db.hostId ? hosts.find((h) => h.id === id) : undefined;
      if (!host || host.status !== 'active') continue;
      try {
        const runtime = await this.connector.runtime(host);
        // Never a running one: a standby is never started (a running container there is another matter).
        const state = await runtime.inspect(containerName(db.id));
        if (state?.running) continue;
        // With its network holder, which runs (ahead) where no container may be left.
        await runtime.remove(containerName(db.id));
        // Its files and allow-list, staged with it.
        await this.dbRuntime.cleanUpHost(host, db);
      } catch (err) {
        this.logger.warn(`database ${db.id}: standby on ${host.name} not removed: ${(err as Error).message}`);
      }
    }
  }
}
