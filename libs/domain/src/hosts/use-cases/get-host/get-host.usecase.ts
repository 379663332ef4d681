import { Inject, Injectable } from '@nestjs/common';
import {
  DATABASE_REPOSITORY,
  DatabaseRepository,
  FLEET_QUERIES,
  FleetQueries,
  HOST_REPOSITORY,
  HostRepository,
  LUN_REPOSITORY,
  LunRepository,
  VOLUME_REPOSITORY,
  VolumeRepository,
} from '../../../ports';
import { HostException, HostExceptionCode } from '../../host.exception';
import { HostDetailView, toHostView } from '../../host.view';

/** One host in depth: what runs there, what is attached, what is promised. */
@Injectable()
export class GetHostUseCase {
  constructor(
    @Inject(HOST_REPOSITORY) private readonly hosts: HostRepository,
    @Inject(DATABASE_REPOSITORY) private readonly databases: DatabaseRepository,
    @Inject(FLEET_QUERIES) private readonly fleet: FleetQueries,
    @Inject(LUN_REPOSITORY) private readonly luns: LunRepository,
    @Inject(VOLUME_REPOSITORY) private readonly volumes: VolumeRepository,
  ) {}

  async execute(id: string): Promise<HostDetailView> {
    const host = await this.hosts.get(id);
    if (!host) throw new HostException(HostExceptionCode.NotFound, 'host not found');
    const [usage, key, placed, luns, volumes] = await Promise.all([
      this.hosts.usage(),
      this.hosts.getSealedKey(id),
      this.databases.list({ hostId: id }),
      this.luns.listLive({ hostId: id }),
      this.volumes.listLive(),
    ]);
    const dbOfLun = new Map(volumes.filter((v) => v.lunId).map((v) => [v.lunId!, v.databaseId]));
    const used = usage.find((u) => u.hostId === id);
    const tenants = await this.fleet.tenantNames([...new Set(placed.map((d) => d.tenantId))]);
    return {
      ...toHostView(host, !!key),
      databases: placed.length,
      luns: luns.length,
      placed: placed.map((d) => ({
        id: d.id,
        name: d.name,
        tenantId: d.tenantId,
        tenantName: tenants.get(d.tenantId) ?? null,
        engine: d.engine,
        status: d.status,
        ha: d.ha,
      })),
      attachedLuns: luns.map((l) => ({
        id: l.id,
        name: l.name,
        iqn: l.iqn,
        sizeGb: l.sizeGb,
        hostVg: l.hostVg,
        backendId: l.backendId,
        status: l.status,
        databaseId: dbOfLun.get(l.id) ?? null,
      })),
      usage: { cpus: used?.cpus ?? 0, memoryMb: used?.memoryMb ?? 0, diskGb: used?.diskGb ?? 0 },
    };
  }
}
