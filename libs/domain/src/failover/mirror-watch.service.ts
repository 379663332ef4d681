import { Inject, Injectable, Logger } from '@nestjs/common';
import type { HostEntity, VolumeEntity } from '@app/persistence/entities';
import {
  DATABASE_REPOSITORY,
  DatabaseRepository,
  EVENT_REPOSITORY,
  EventRepository,
  HOST_REPOSITORY,
  HostRepository,
  STORAGE_DRIVERS,
  StorageDrivers,
  VOLUME_REPOSITORY,
  VolumeRepository,
} from '../ports';
import { withTimeout } from '../shared/timeout';

// An unchanged mirror state is written this often (its mirrorCheckedAt is what the takeover trusts).
const MIRROR_WRITE_EVERY_MS = 5_000;

/**
 * The DRBD mirrors as the failover worker sees them, read on each host it reaches (riding on the host's shared SSH
 * session): each primary's mirror state, recorded for the takeover's safety check, and the fence-peer requests of
 * primaries that lost their peer, answered. It records what it saw; whether a copy may be promoted is the
 * takeover's decision (mirror-safety.ts), not this reader's.
 */
@Injectable()
export class MirrorWatchService {
  private readonly logger = new Logger(MirrorWatchService.name);
  /** Volumes whose primary's fence-peer request is being answered. */
  private readonly fencing = new Set<string>();

  constructor(
    @Inject(HOST_REPOSITORY) private readonly hosts: HostRepository,
    @Inject(DATABASE_REPOSITORY) private readonly databases: DatabaseRepository,
    @Inject(VOLUME_REPOSITORY) private readonly volumes: VolumeRepository,
    @Inject(STORAGE_DRIVERS) private readonly storage: StorageDrivers,
    @Inject(EVENT_REPOSITORY) private readonly events: EventRepository,
  ) {}

  /**
   * One read on the host (/proc/drbd and the fence-peer handler's requests): each primary's mirror state, recorded
   * for the failover's safety check. A primary that lost its peer waits, I/O frozen, for its request to be
   * answered (answerFence); a resynced mirror's markers are removed before it is recorded synced again.
   */
  async read(host: HostEntity, unreachable: (hostId: string) => boolean): Promise<void> {
    const driver = this.storage.get('drbd');
    const primaries = (await this.volumes.listLive()).filter((v) => v.driver === 'drbd' && v.hostId === host.id);
    if (!primaries.length || !driver.mirrors) return;
    const states = await driver.mirrors(host, primaries);
    await Promise.all(
      primaries.map(async (v) => {
        const s = states.get(v.id);
        if (s?.fenceRequest) {
          // In the background: it may wait on the peer, and must not be cut short by this read's time limit.
          if (!this.fencing.has(v.id)) {
            this.fencing.add(v.id);
            void this.answerFence(host, v, s.fenceRequest, unreachable)
              .catch((err) =>
                this.logger.error(`fence-peer request of ${v.id} on ${host.name}: ${(err as Error).message}`),
              )
              .finally(() => this.fencing.delete(v.id));
          }
          return;
        }
        if (this.fencing.has(v.id)) return;
        const state = s?.state ?? 'degraded';
        // Old markers go before 'synced' is written: the record never says synced while they linger.
        if (state === 'synced' && s?.fenceMarkers && driver.clearFenceMarkers) await driver.clearFenceMarkers(host, v);
        await this.recordMirror(v, state);
      }),
    );
  }

  /**
   * A primary lost its replication peer; DRBD froze its I/O and its fence-peer handler asks before it goes on
   * alone. In this order: the mirror recorded degraded (from then on no automatic failover promotes the peer),
   * the peer's copy outdated when the control plane reaches it (DRBD itself then refuses to promote it), the
   * answer (the primary resumes, alone), the event.
   */
  private async answerFence(
    host: HostEntity,
    v: VolumeEntity,
    request: string,
    unreachable: (hostId: string) => boolean,
  ): Promise<void> {
    const driver = this.storage.get('drbd');
    if (!driver.ackFencePeer) return;
    await this.recordMirror(v, 'degraded', { force: true });
    let peerNote = 'no peer recorded';
    const peer = v.peerHostId ? await this.hosts.get(v.peerHostId) : null;
    // A peer this worker cannot reach is not waited for: the primary's I/O is frozen meanwhile.
    const gone = peer && (!['active', 'draining'].includes(peer.status) || unreachable(peer.id));
    if (peer && gone) peerNote = `its copy on ${peer.name} not marked outdated (the host does not answer)`;
    else if (peer && driver.outdatePeer) {
      try {
        await withTimeout(driver.outdatePeer(peer, v), 12_000, 'no answer within 12000 ms');
        peerNote = `its copy on ${peer.name} marked outdated`;
      } catch (err) {
        peerNote = `its copy on ${peer.name} not marked outdated (${(err as Error).message})`;
      }
    }
    await driver.ackFencePeer(host, v, request);
    const db = await this.databases.get(v.databaseId);
    this.logger.warn(`volume ${v.id}: the primary on ${host.name} lost its mirror and goes on alone; ${peerNote}`);
    await this.events.record({
      type: 'database.mirror-degraded',
      message:
        `the primary on ${host.name} lost its replication link and goes on alone; ${peerNote}. ` +
        `Until the mirror resyncs, a failover does not promote the peer without an operator`,
      tenantId: db?.tenantId ?? null,
      databaseId: v.databaseId,
      hostId: host.id,
    });
  }

  /** Unchanged states are written every few seconds only; `force`: written whatever was written last. */
  private async recordMirror(
    v: VolumeEntity,
    state: 'synced' | 'syncing' | 'degraded',
    opts: { force?: boolean } = {},
  ): Promise<void> {
    // Well under the takeover's limit (MIRROR_READING_MAX_LAG_MS) on how far a reading may trail lastSeenAt.
    if (
      !opts.force &&
      v.mirrorState === state &&
      v.mirrorCheckedAt &&
      Date.now() - v.mirrorCheckedAt.getTime() < MIRROR_WRITE_EVERY_MS
    )
      return;
    if (v.mirrorState !== state) this.logger.log(`volume ${v.id}: mirror ${v.mirrorState ?? '-'} -> ${state}`);
    await this.volumes.update(v.id, { mirrorState: state, mirrorCheckedAt: new Date() });
  }
}
