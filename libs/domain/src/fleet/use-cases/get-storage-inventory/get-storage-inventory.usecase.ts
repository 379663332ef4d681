import { Inject, Injectable } from '@nestjs/common';
import type { HostEntity, StorageBackendEntity } from '@app/persistence/entities';
import {
  HOST_CONNECTOR,
  HOST_REPOSITORY,
  HostConnector,
  HostRepository,
  LUN_REPOSITORY,
  LunRepository,
  STORAGE_BACKEND_REPOSITORY,
  StorageBackendRepository,
  VOLUME_REPOSITORY,
  VolumeRepository,
} from '../../../ports';
import { withTimeout } from '../../../shared';

export interface BackendInventory {
  id: string;
  name: string;
  portalAddress: string;
  volumeGroup: string;
  thinPool: string | null;
  vg: { sizeBytes: number; freeBytes: number; lvCount: number } | null;
  /** Thin backends: the pool's size and how much of it is written. */
  pool: { sizeBytes: number; usedBytes: number } | null;
  /** Why `vg` could not be read (the storage server did not answer, or the VG is missing). */
  error: string | null;
  luns: {
    id: string;
    name: string;
    iqn: string;
    sizeGb: number;
    status: string;
    hostId: string | null;
    hostName: string | null;
    databaseId: string | null;
  }[];
}

export interface HostStorageInventory {
  hostId: string;
  name: string;
  driver: string;
  dataRoot: string;
  sizeBytes: number | null;
  freeBytes: number | null;
  error: string | null;
}

export interface StorageInventory {
  backends: BackendInventory[];
  hosts: HostStorageInventory[];
}

// Each probe is bounded: one unreachable server must not stall the console's page.
const PROBE_MS = 8000;
const numbers = (line: string) => line.trim().split('|').map(Number);

/** SAN backends with their volume group's free space and LUNs, and each host's data root: read live. */
@Injectable()
export class GetStorageInventoryUseCase {
  constructor(
    @Inject(STORAGE_BACKEND_REPOSITORY) private readonly backends: StorageBackendRepository,
    @Inject(LUN_REPOSITORY) private readonly luns: LunRepository,
    @Inject(HOST_REPOSITORY) private readonly hosts: HostRepository,
    @Inject(VOLUME_REPOSITORY) private readonly volumes: VolumeRepository,
    @Inject(HOST_CONNECTOR) private readonly connector: HostConnector,
  ) {}

  async execute(): Promise<StorageInventory> {
    const [backends, hosts, volumes] = await Promise.all([
      this.backends.list(),
      this.hosts.list(),
      this.volumes.listLive(),
    ]);
    const hostName = new Map(hosts.map((h) => [h.id, h.name]));
    const dbOfLun = new Map(volumes.filter((v) => v.lunId).map((v) => [v.lunId!, v.databaseId]));
    return {
      backends: await Promise.all(backends.map((b) => this.backend(b, hostName, dbOfLun))),
      hosts: await Promise.all(hosts.map((h) => this.host(h))),
    };
  }

  private async backend(
    b: StorageBackendEntity,
    hostName: Map<string, string>,
    dbOfLun: Map<string, string>,
  ): Promise<BackendInventory> {
    const luns = (await this.luns.listLive({ backendId: b.id })).map((l) => ({
      id: l.id,
      name: l.name,
      iqn: l.iqn,
      sizeGb: l.sizeGb,
      status: l.status,
      hostId: l.hostId,
      hostName: l.hostId ? (hostName.get(l.hostId) ?? null) : null,
      databaseId: dbOfLun.get(l.id) ?? null,
    }));
    const base = {
      id: b.id,
      name: b.name,
      portalAddress: b.portalAddress,
      volumeGroup: b.volumeGroup,
      thinPool: b.thinPool,
      luns,
    };
    try {
      const exec = await withTimeout(this.connector.storageExecutor(b), PROBE_MS, 'storage server did not answer');
      const vgs = await exec.run(
        [
          'vgs',
          '--noheadings',
          '--units',
          'b',
          '--nosuffix',
          '--separator',
          '|',
          '-o',
          'vg_size,vg_free,lv_count',
          b.volumeGroup,
        ],
        { timeoutMs: PROBE_MS },
      );
      if (vgs.exitCode !== 0) return { ...base, vg: null, pool: null, error: vgs.stderr.trim() || 'vgs failed' };
      const [sizeBytes, freeBytes, lvCount] = numbers(vgs.stdout);
      let pool: BackendInventory['pool'] = null;
      if (b.thinPool) {
        const lvs = await exec.run(
          [
            'lvs',
            '--noheadings',
            '--units',
            'b',
            '--nosuffix',
            '--separator',
            '|',
            '-o',
            'lv_size,data_percent',
            `${b.volumeGroup}/${b.thinPool}`,
          ],
          { timeoutMs: PROBE_MS },
        );
        if (lvs.exitCode === 0) {
          const [size, pct] = numbers(lvs.stdout);
          pool = { sizeBytes: size, usedBytes: Math.round((size * (pct || 0)) / 100) };
        }
      }
      return { ...base, vg: { sizeBytes, freeBytes, lvCount }, pool, error: null };
    } catch (e) {
      return { ...base, vg: null, pool: null, error: (e as Error).message };
    }
  }

  private async host(h: HostEntity): Promise<HostStorageInventory> {
    const base = { hostId: h.id, name: h.name, driver: h.storageDriver, dataRoot: h.dataRoot };
    // A host known to be off would only time out.
    if (h.status === 'down' || h.status === 'fenced') {
      return { ...base, sizeBytes: null, freeBytes: null, error: `host is ${h.status}` };
    }
    try {
      const exec = await withTimeout(this.connector.executor(h), PROBE_MS, 'host did not answer');
      const df = await exec.run(['df', '-B1', '--output=size,avail', h.dataRoot], { timeoutMs: PROBE_MS });
      if (df.exitCode !== 0)
        return { ...base, sizeBytes: null, freeBytes: null, error: df.stderr.trim() || 'df failed' };
      const [size, avail] = df.stdout.trim().split('\n').pop()!.trim().split(/\s+/).map(Number);
      return { ...base, sizeBytes: size, freeBytes: avail, error: null };
    } catch (e) {
      return { ...base, sizeBytes: null, freeBytes: null, error: (e as Error).message };
    }
  }
}
