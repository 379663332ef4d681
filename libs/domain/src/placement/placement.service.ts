import { Injectable } from '@nestjs/common';
import type { HaMode, HostEntity, PlanEntity } from '@app/persistence/entities';
import { DatabaseException, DatabaseExceptionCode } from '../databases/database.exception';
import { FleetReader } from './fleet-reader.service';
import { isPlacement, placeDatabase } from './place';

export interface PlacementRequest {
  tenantId: string;
  plan: Pick<PlanEntity, 'name' | 'cpus' | 'memoryMb' | 'diskGb'>;
  ha: HaMode;
  storageDriver?: string;
  /** Further conditions on the host (HA: a VIP interface, a replication address; a move: not where it is). */
  accept?: (host: HostEntity) => boolean;
  acceptPeer?: (host: HostEntity) => boolean;
}

/** Held from reading the fleet to recording what was placed, so that two placements never share the last room. */
export const PLACEMENT_LOCK_KEY = 'placement';
export const PLACEMENT_LOCK_WAIT_MS = 30_000;

/**
 * Chooses where a new (or moving) database goes: the packing, failure-domain and tenant-spread rules of
 * `placement/place.ts`, on the fleet as recorded, with the operators' overcommit ratios. Nothing fits: a 503
 * whose message says which resource is short and where.
 */
@Injectable()
export class PlacementService {
  constructor(private readonly reader: FleetReader) {}

  async place(req: PlacementRequest): Promise<{ host: HostEntity; peer: HostEntity | null; spreadRelaxed: boolean }> {
    const { fleet, hosts, overcommit } = await this.reader.read();
    const entity = (id: string) => hosts.get(id)!;
    const result = placeDatabase(
      fleet,
      {
        tenantId: req.tenantId,
        demand: { cpus: req.plan.cpus, memoryMb: req.plan.memoryMb, diskGb: req.plan.diskGb },
        ha: req.ha,
        storageDriver: req.storageDriver,
        accept: req.accept ? (h) => req.accept!(entity(h.id)) : undefined,
        acceptPeer: req.acceptPeer ? (h) => req.acceptPeer!(entity(h.id)) : undefined,
      },
      overcommit,
    );
    if (!isPlacement(result)) {
      throw new DatabaseException(DatabaseExceptionCode.NoCapacity, `plan "${req.plan.name}": ${result.reason}`);
    }
    return {
      host: entity(result.hostId),
      peer: result.peerHostId ? entity(result.peerHostId) : null,
      spreadRelaxed: result.spreadRelaxed,
    };
  }
}
