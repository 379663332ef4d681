import { Inject, Injectable } from '@nestjs/common';
import { DATABASE_REPOSITORY, DatabaseRepository } from '../../../ports';
import { FleetReader } from '../../fleet-reader.service';
import { nPlusOne } from '../../n-plus-one';
import { databaseNames } from '../database-names';

export interface HostLossView {
  hostId: string;
  name: string;
  databases: number;
  fits: boolean;
  placements: { databaseId: string; database: string; to: string | null; toName: string | null; reason?: string }[];
}

/** N+1 for operators: for every host, if it died now, where each of its databases would go, and whether all fit. */
@Injectable()
export class GetNPlusOneUseCase {
  constructor(
    private readonly reader: FleetReader,
    @Inject(DATABASE_REPOSITORY) private readonly databases: DatabaseRepository,
  ) {}

  async execute(): Promise<HostLossView[]> {
    const { fleet, hosts, overcommit } = await this.reader.read();
    const names = await databaseNames(this.databases);
    return nPlusOne(fleet, overcommit).map((l) => ({
      hostId: l.hostId,
      name: l.name,
      databases: l.databases,
      fits: l.fits,
      placements: l.placements.map((p) => ({
        databaseId: p.databaseId,
        database: names.get(p.databaseId) ?? p.databaseId,
        to: p.to,
        toName: p.to ? (hosts.get(p.to)?.name ?? null) : null,
        ...(p.reason ? { reason: p.reason } : {}),
      })),
    }));
  }
}
