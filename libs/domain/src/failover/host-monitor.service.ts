import { createConnection } from 'node:net';
import { Inject, Injectable, Logger } from '@nestjs/common';
import type { HostEntity, HostHealth } from '@app/persistence/entities';
import {
  DATABASE_REPOSITORY,
  DatabaseRepository,
  HOST_CONNECTOR,
  HOST_REPOSITORY,
  HostConnector,
  HostRepository,
  EVENT_REPOSITORY,
  EventRepository,
  STORAGE_BACKEND_REPOSITORY,
  StorageBackendRepository,
} from '../ports';
import { withTimeout } from '../shared/timeout';
import { HostFailureService } from './host-failure.service';
import { MirrorWatchService } from './mirror-watch.service';
import {
  Brake,
  brake,
  fenceBudget,
  grace,
  GuardSettings,
  PaceSettings,
  probeDue,
  Vote,
  WatchedHost,
  witnessVerdict,
} from './failover-guard';

export interface MonitorSettings extends GuardSettings, PaceSettings {
  probeTimeoutMs: number;
  bannerTimeoutMs: number;
  /** Docker and database ports are checked every this many ticks (they cost more than an SSH round trip). */
  deepEvery: number;
  witnessTimeoutMs: number;
}

interface Tracked {
  failures: number;
  /** When its last probe started, and how many are still running (see probeDue). */
  lastProbeAt: number;
  inFlight: number;
  firstFailureAt: Date | null;
  ticks: number;
  lastWrite: number;
  docker: boolean | null;
  databases: Record<string, boolean>;
  lastFenceTry: number;
  mirrorsInFlight?: boolean;
  deepInFlight?: boolean;
  detail?: string;
  /** The witnesses' last look, taken after the first failed probe of this run of failures. */
  votes?: { at: number; votes: Record<string, Vote | null> };
  votesInFlight?: boolean;
  /** The last verdict note written, so that a repeated one raises no new event. */
  note?: string;
}

const tcpOpen = (host: string, port: number, ms: number) =>
  new Promise<boolean>((resolve) => {
    const s = createConnection({ host, port });
    const done = (ok: boolean) => {
      s.destroy();
      resolve(ok);
    };
    // Late timers (a stalled loop) wait for the I/O that came meanwhile, as in the SSH probe.
    s.setTimeout(ms, () => setImmediate(() => done(false)));
    s.once('connect', () => done(true));
    s.once('error', () => done(false));
  });

/**
 * One tick of the failover worker (run by the elected leader only): every remote host gets an SSH round trip
 * (which also reads its DRBD mirrors' state); Docker and each database's port are checked less often. A host the
 * control plane cannot reach is only a suspect: it is declared down (and handed to HostFailureService) when it
 * failed `failuresBeforeDown` probes in a row, is past its grace period, the brake is off, and a majority of the
 * witnesses that answered (the other hosts, its storage server) cannot reach it either.
 */
@Injectable()
export class HostMonitorService {
  private readonly logger = new Logger(HostMonitorService.name);
  private readonly tracked = new Map<string, Tracked>();
  /** One judge at a time: it reads the fleet afresh, so a slow one never acts on a stale view. */
  private judging = false;
  /** Hosts being declared down (the declaration fences, which takes seconds: the judge does not wait for it). */
  private readonly declaring = new Set<string>();
  /** When hosts were last declared down automatically (the rate limit). */
  private readonly declaredAt: number[] = [];
  /** The fleet alarm now raised (brake or control plane cut off), or null. */
  private alarm: string | null = null;

  constructor(
    @Inject(HOST_REPOSITORY) private readonly hosts: HostRepository,
    @Inject(DATABASE_REPOSITORY) private readonly databases: DatabaseRepository,
    @Inject(HOST_CONNECTOR) private readonly connector: HostConnector,
    @Inject(EVENT_REPOSITORY) private readonly events: EventRepository,
    @Inject(STORAGE_BACKEND_REPOSITORY) private readonly backends: StorageBackendRepository,
    private readonly failure: HostFailureService,
    private readonly mirrors: MirrorWatchService,
  ) {}

  /** Forget in-memory counters (a new leader starts from zero: it needs its own consecutive failures). */
  reset(): void {
    this.tracked.clear();
    this.alarm = null;
  }

  /** The fleet alarm this leader has raised, if any. */
  currentAlarm(): string | null {
    return this.alarm;
  }

  async tick(s: MonitorSettings): Promise<void> {
    // The local host too: its probe always passes (no SSH), but its Docker and databases are checked like others'.
    const hosts = await this.hosts.list();
    const now = Date.now();
    // Each host at its own pace: one slow host (a banner that takes seconds) never delays the others' probes, and
    // a suspect is looked at again sooner than a healthy host (probeDue).
    const launched = hosts
      .filter((h) => probeDue(this.track(h.id), s, now))
      .map((h) => {
        const t = this.track(h.id);
        t.lastProbeAt = now;
        t.inFlight++;
        let counted = true;
        // In flight is the liveness probe only: Docker and database checks after it (seconds, on a host that just
        // died) must not hold back the next probe.
        const probed = () => {
          if (counted) t.inFlight--;
          counted = false;
        };
        return this.check(h, t, s, probed)
          .catch((err) => this.logger.error(`monitor of ${h.name}: ${(err as Error).stack ?? err}`))
          .finally(probed);
      });
    await Promise.all(launched);
    if (this.judging) return;
    this.judging = true;
    try {
      await this.judge(s);
    } finally {
      this.judging = false;
    }
  }

  private track(hostId: string): Tracked {
    let t = this.tracked.get(hostId);
    if (!t) {
      t = {
        failures: 0,
        lastProbeAt: 0,
        inFlight: 0,
        firstFailureAt: null,
        ticks: 0,
        lastWrite: 0,
        // Unknown until Docker answered (or not) a check of its own.
        docker: null,
        databases: {},
        lastFenceTry: 0,
      };
      this.tracked.set(hostId, t);
    }
    return t;
  }

  /** The decisions, made with the whole fleet in view once this tick's probes are in. */
  private async judge(s: MonitorSettings): Promise<void> {
    // Read afresh: a host declared down since this tick started is no longer watched.
    const hosts = await this.hosts.list();
    const now = new Date();
    const watched: WatchedHost[] = hosts
      .filter((h) => h.connection === 'ssh' && (h.status === 'active' || h.status === 'draining'))
      .map((h) => ({
        id: h.id,
        name: h.name,
        domain: h.labels?.rack ?? null,
        activeSince: h.activeSince ?? h.createdAt,
        lastSeenAt: h.lastSeenAt,
        failures: this.tracked.get(h.id)?.failures ?? 0,
      }));
    // Hosts in their grace period neither count towards the brake nor get condemned.
    const graced = new Map(watched.map((w) => [w.id, grace(w, s, now)]));
    const braked = brake(
      watched.filter((w) => !graced.get(w.id)!.inGrace),
      s,
    );
    await this.setAlarm(braked);
    for (const w of watched) {
      if (w.failures === 0 || this.declaring.has(w.id)) continue;
      const host = hosts.find((h) => h.id === w.id)!;
      const t = this.tracked.get(w.id)!;
      const g = graced.get(w.id)!;
      if (g.inGrace) {
        await this.writeVerdict(host, t, now, 'unreachable', g.reason);
        continue;
      }
      this.gatherVotes(host, hosts, t, s);
      if (braked) {
        await this.writeVerdict(
          host,
          t,
          now,
          'unreachable',
          `fleet alarm, nothing fenced automatically: ${braked.reason}`,
        );
        continue;
      }
      if (w.failures < s.failuresBeforeDown || !t.votes || t.votes.at < (t.firstFailureAt?.getTime() ?? 0)) {
        await this.writeVerdict(host, t, now, 'suspect', `${w.failures} failed probe(s); asking its witnesses`);
        continue;
      }
      const verdict = witnessVerdict(t.votes.votes);
      if (verdict.kind !== 'dead') {
        const why =
          verdict.kind === 'alive'
            ? `unreachable from the control plane only; its witnesses still reach it (${verdict.summary}): not fenced`
            : `${verdict.summary}: not fenced`;
        await this.writeVerdict(
          host,
          t,
          now,
          'unreachable',
          why,
          verdict.kind === 'alive' ? 'host.partitioned' : 'host.unconfirmed',
        );
        continue;
      }
      if (fenceBudget(this.declaredAt, s, now.getTime()) === 0) {
        await this.writeVerdict(
          host,
          t,
          now,
          'unreachable',
          `rate limit: ${s.fencesPerMinute} hosts declared down in the last minute; waiting`,
        );
        continue;
      }
      this.declaredAt.push(now.getTime());
      t.lastFenceTry = Date.now();
      this.declaring.add(host.id);
      // "Detected" is when the host is declared dead; the first failed probe is in the reason.
      void this.failure
        .declareDown(
          host,
          now,
          `${t.failures} failed probes since ${t.firstFailureAt?.toISOString()}: ${t.detail}; witnesses: ${verdict.summary}`,
        )
        .catch((err) => this.logger.error(`declaring ${host.name} down: ${(err as Error).stack ?? err}`))
        .finally(() => this.declaring.delete(host.id));
    }
  }

  /**
   * Asks every witness, in the background, whether it reaches the host: the other hosts the control plane reaches
   * now, and the host's storage server. One round at a time per host; a round started before this run of failures
   * does not count.
   */
  private gatherVotes(host: HostEntity, hosts: HostEntity[], t: Tracked, s: MonitorSettings): void {
    if (t.votesInFlight) return;
    t.votesInFlight = true;
    const started = Date.now();
    // Peers look at the host on the networks they share with it: its address and its replication address. Its
    // sshPort is the control plane's way in when it has no SSH address of its own; otherwise sshd's usual 22.
    const port = host.sshAddress ? 22 : host.sshPort;
    const targets = [{ address: host.address, port }];
    if (host.replicationAddress) targets.push({ address: host.replicationAddress, port });
    const ask = async (): Promise<Record<string, Vote | null>> => {
      const peers = hosts.filter(
        (h) =>
          h.id !== host.id &&
          h.connection === 'ssh' &&
          (h.status === 'active' || h.status === 'draining') &&
          (this.tracked.get(h.id)?.failures ?? 1) === 0,
      );
      const witnesses: { name: string; w: Parameters<HostConnector['witnessProbe']>[0] }[] = peers.map((h) => ({
        name: h.name,
        w: { host: h },
      }));
      if (host.storageBackendId) {
        const backend = await this.backends.get(host.storageBackendId);
        if (backend) witnesses.push({ name: `storage ${backend.name}`, w: { backend } });
      }
      const votes: Record<string, Vote | null> = {};
      const took: string[] = [];
      await Promise.all(
        witnesses.map(async ({ name, w }) => {
          const t0 = Date.now();
          votes[name] = await this.connector.witnessProbe(w, targets, s.witnessTimeoutMs).then(
            (alive): Vote => (alive ? 'alive' : 'dead'),
            (err: Error) => {
              this.logger.warn(`witness ${name} on ${host.name}: ${err.message}`);
              return null;
            },
          );
          took.push(`${name} ${votes[name] ?? 'no answer'} in ${Date.now() - t0} ms`);
        }),
      );
      // How long the witnesses take is most of the detection time: logged for each round (only suspects get one).
      if (took.length) this.logger.log(`witnesses of ${host.name}: ${took.join(', ')}`);
      return votes;
    };
    void ask()
      .then((votes) => (t.votes = { at: started, votes }))
      .catch((err) => this.logger.warn(`witnesses of ${host.name}: ${(err as Error).message}`))
      .finally(() => (t.votesInFlight = false));
  }

  private async writeVerdict(
    host: HostEntity,
    t: Tracked,
    now: Date,
    verdict: 'suspect' | 'unreachable',
    note: string,
    eventType?: string,
  ): Promise<void> {
    const witnesses = t.votes
      ? Object.fromEntries(Object.entries(t.votes.votes).map(([k, v]) => [k, v ?? ('no answer' as const)]))
      : undefined;
    const health: HostHealth = {
      checkedAt: now.toISOString(),
      ssh: false,
      docker: null,
      failures: t.failures,
      detail: `${note} (last probe: ${t.detail ?? 'failed'})`,
      databases: t.databases,
      verdict,
      ...(witnesses ? { witnesses } : {}),
    };
    await this.hosts.update(host.id, { health });
    // An event once per new conclusion, not every tick.
    if (eventType && t.note !== note)
      await this.events.record({ type: eventType, message: `host ${host.name}: ${note}`, hostId: host.id });
    t.note = note;
  }

  private async setAlarm(b: Brake | null): Promise<void> {
    const next = b ? b.reason : null;
    if (next === this.alarm) return;
    const was = this.alarm;
    this.alarm = next;
    if (next) {
      this.logger.error(`fleet alarm: ${next}`);
      await this.events.record({ type: 'fleet.alarm', message: `automatic fencing stopped: ${next}` });
    } else if (was) {
      this.logger.warn('fleet alarm cleared');
      await this.events.record({ type: 'fleet.alarm-cleared', message: `the alarm is over (was: ${was})` });
    }
  }

  private async check(host: HostEntity, t: Tracked, s: MonitorSettings, probed: () => void): Promise<void> {
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
    try {
      // A suspect goes straight to its banner: a session that stopped answering would add its wait to each probe.
      await this.connector
        .probe(host, s.probeTimeoutMs, s.bannerTimeoutMs, { viaSession: t.failures === 0 })
        .finally(probed);
      if (t.failures > 0) this.logger.log(`host ${host.name} answers again`);
      t.failures = 0;
      t.firstFailureAt = null;
      t.detail = undefined;
      t.votes = undefined;
      t.note = undefined;
    } catch (err) {
      t.detail = (err as Error).message;
      t.failures++;
      t.firstFailureAt ??= now;
      // The verdict (and the health row) is the judge's, with the whole fleet in view.
      return;
    }
    // Mirror states ride on the shared SSH session; they never count against liveness (a busy host may be slow).
    if (host.replicationAddress && !t.mirrorsInFlight) {
      t.mirrorsInFlight = true;
      const unreachable = (id: string) => (this.tracked.get(id)?.failures ?? 0) > 0;
      void withTimeout(this.mirrors.read(host, unreachable), 10_000, 'mirror states: no answer within 10000 ms')
        .catch((err) => this.logger.debug(`mirrors of ${host.name}: ${(err as Error).message}`))
        .finally(() => (t.mirrorsInFlight = false));
    }
    if (t.ticks % s.deepEvery === 1 && !t.deepInFlight) {
      t.deepInFlight = true;
      await this.deepProbe(host, t, s).finally(() => (t.deepInFlight = false));
    }
    // A probe that failed since this one succeeded has the last word (the judge writes its verdict).
    if (t.failures > 0) return;
    if (Date.now() - t.lastWrite > 5000 || host.health?.verdict !== 'up') {
      t.lastWrite = Date.now();
      const health: HostHealth = {
        checkedAt: now.toISOString(),
        ssh: true,
        docker: t.docker,
        failures: 0,
        databases: t.databases,
        verdict: 'up',
      };
      await this.hosts.update(host.id, { health, lastSeenAt: now });
    }
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
        const ep = await this.connector.endpoint(host, db.port, db.vip ?? undefined, {
          fromHost: (db.allowedCidrs?.length ?? 0) > 0,
        });
        dbs[db.id] = await tcpOpen(ep.host, ep.port, 2000);
      } catch {
        dbs[db.id] = false;
      }
    }
    t.databases = dbs;
  }
}
