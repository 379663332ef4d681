import { createConnection } from 'node:net';
import { Inject, Injectable, Logger } from '@nestjs/common';
import type { HostEntity, HostHealth, VolumeEntity } from '@app/persistence/entities';
import {
  DATABASE_REPOSITORY,
  DatabaseRepository,
  HOST_CONNECTOR,
  HOST_REPOSITORY,
  HostConnector,
  HostRepository,
  STORAGE_DRIVERS,
  StorageDrivers,
  VOLUME_REPOSITORY,
  VolumeRepository,
} from '../ports';
import { withTimeout } from '../shared/timeout';
import { HostFailureService } from './host-failure.service';

export interface MonitorSettings {
  probeTimeoutMs: number;
  bannerTimeoutMs: number;
  failuresBeforeDown: number;
  /** Docker and database ports are checked every this many ticks (they cost more than an SSH round trip). */
  deepEvery: number;
}

interface Tracked {
  failures: number;
  firstFailureAt: Date | null;
  ticks: number;
  lastWrite: number;
  docker: boolean | null;
  databases: Record<string, boolean>;
  lastFenceTry: number;
  mirrorsInFlight?: boolean;
}

const tcpOpen = (host: string, port: number, ms: number) =>
  new Promise<boolean>((resolve) => {
    const s = createConnection({ host, port });
    const done = (ok: boolean) => {
      s.destroy();
      resolve(ok);
    };
    s.setTimeout(ms, () => done(false));
    s.once('connect', () => done(true));
    s.once('error', () => done(false));
  });

/**
 * One tick of the failover worker (run by the elected leader only): every remote host gets an SSH round trip
 * (which also reads its DRBD mirrors' state); Docker and each database's port are checked less often. A host
 * that fails `failuresBeforeDown` ticks in a row is declared down and handed to HostFailureService.
 */
@Injectable()
export class HostMonitorService {
  private readonly logger = new Logger(HostMonitorService.name);
  private readonly tracked = new Map<string, Tracked>();
  private readonly inFlight = new Set<string>();

  constructor(
    @Inject(HOST_REPOSITORY) private readonly hosts: HostRepository,
    @Inject(DATABASE_REPOSITORY) private readonly databases: DatabaseRepository,
    @Inject(VOLUME_REPOSITORY) private readonly volumes: VolumeRepository,
    @Inject(HOST_CONNECTOR) private readonly connector: HostConnector,
    @Inject(STORAGE_DRIVERS) private readonly storage: StorageDrivers,
    private readonly failure: HostFailureService,
  ) {}

  /** Forget in-memory counters (a new leader starts from zero: it needs its own consecutive failures). */
  reset(): void {
    this.tracked.clear();
  }

  async tick(s: MonitorSettings): Promise<void> {
    // The local host too: its probe always passes (no SSH), but its Docker and databases are checked like others'.
    const hosts = await this.hosts.list();
    // Each host at its own pace: one slow host (a banner that takes seconds) never delays the others' probes.
    const launched = hosts
      .filter((h) => !this.inFlight.has(h.id))
      .map((h) => {
        this.inFlight.add(h.id);
        return this.check(h, s)
          .catch((err) => this.logger.error(`monitor of ${h.name}: ${(err as Error).stack ?? err}`))
          .finally(() => this.inFlight.delete(h.id));
      });
    await Promise.all(launched);
  }

  private async check(host: HostEntity, s: MonitorSettings): Promise<void> {
    const t = this.tracked.get(host.id) ?? {
      failures: 0,
      firstFailureAt: null,
      ticks: 0,
      lastWrite: 0,
      // Unknown until Docker answered (or not) a check of its own.
      docker: null,
      databases: {},
      lastFenceTry: 0,
    };
    this.tracked.set(host.id, t);
    if (host.status === 'fenced') return;
    if (host.status === 'down') {
      // Detected but not fenced yet (no fencing method worked, or the previous leader died mid-way): keep trying.
      if (Date.now() - t.lastFenceTry > 10_000) {
        t.lastFenceTry = Date.now();
        await this.failure.fenceAndRelease(host);
      }
      return;
    }
    t.ticks++;
    const now = new Date();
    let detail = '';
    try {
      await this.connector.probe(host, s.probeTimeoutMs, s.bannerTimeoutMs);
      t.failures = 0;
      t.firstFailureAt = null;
    } catch (err) {
      detail = (err as Error).message;
      t.failures++;
      t.firstFailureAt ??= now;
      if (t.failures >= s.failuresBeforeDown) {
        t.lastFenceTry = Date.now();
        // "Detected" is when the host is declared dead; the first failed probe is in the reason.
        await this.failure.declareDown(
          host,
          now,
          `${t.failures} failed probes since ${t.firstFailureAt.toISOString()}: ${detail}`,
        );
        return;
      }
    }
    // Mirror states ride on the shared SSH session; they never count against liveness (a busy host may be slow).
    if (t.failures === 0 && host.replicationAddress && !t.mirrorsInFlight) {
      t.mirrorsInFlight = true;
      void withTimeout(this.readMirrors(host), 10_000, 'mirror states: no answer within 10000 ms')
        .catch((err) => this.logger.debug(`mirrors of ${host.name}: ${(err as Error).message}`))
        .finally(() => (t.mirrorsInFlight = false));
    }
    if (t.failures === 0 && t.ticks % s.deepEvery === 1) await this.deepProbe(host, t, s);
    if (t.failures > 0 || Date.now() - t.lastWrite > 5000) {
      t.lastWrite = Date.now();
      const health: HostHealth = {
        checkedAt: now.toISOString(),
        ssh: t.failures === 0,
        // With SSH not answering, Docker cannot be checked: its last result is not reported as current.
        docker: t.failures === 0 ? t.docker : null,
        failures: t.failures,
        ...(detail ? { detail } : {}),
        databases: t.databases,
      };
      await this.hosts.update(host.id, { health, ...(t.failures === 0 ? { lastSeenAt: now } : {}) });
    }
  }

  /** One read of /proc/drbd on the host: each primary's mirror state, recorded for the failover's safety check. */
  private async readMirrors(host: HostEntity): Promise<void> {
    const driver = this.storage.get('drbd');
    const primaries = (await this.volumes.listLive()).filter((v) => v.driver === 'drbd' && v.hostId === host.id);
    if (!primaries.length || !driver.mirrors) return;
    const states = await driver.mirrors(host, primaries);
    await Promise.all(primaries.map((v) => this.recordMirror(v, states.get(v.id)?.state ?? 'degraded')));
  }

  private async recordMirror(v: VolumeEntity, state: 'synced' | 'syncing' | 'degraded'): Promise<void> {
    if (v.mirrorState === state && v.mirrorCheckedAt && Date.now() - v.mirrorCheckedAt.getTime() < 10_000) return;
    if (v.mirrorState !== state) this.logger.log(`volume ${v.id}: mirror ${v.mirrorState ?? '-'} -> ${state}`);
    await this.volumes.update(v.id, { mirrorState: state, mirrorCheckedAt: new Date() });
  }

  private async deepProbe(host: HostEntity, t: Tracked, s: MonitorSettings): Promise<void> {
    try {
      await (await this.connector.runtime(host)).ping(Math.max(s.probeTimeoutMs, 3000));
      t.docker = true;
    } catch {
      t.docker = false;
    }
    const dbs: Record<string, boolean> = {};
    for (const db of await this.databases.list({ hostId: host.id })) {
      if (db.status !== 'running' || !db.port) continue;
      try {
        const ep = await this.connector.endpoint(host, db.port, db.vip ?? undefined);
        dbs[db.id] = await tcpOpen(ep.host, ep.port, 2000);
      } catch {
        dbs[db.id] = false;
      }
    }
    t.databases = dbs;
  }
}
