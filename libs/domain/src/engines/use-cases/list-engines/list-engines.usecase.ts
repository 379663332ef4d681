import { Injectable } from '@nestjs/common';
import type { EngineName } from '@app/persistence/entities';
import { Admission } from '../../../admission/admission.service';
import { ENGINE_NAMES, ENGINES } from '../../engine-catalog';

export interface EngineOffer {
  engine: EngineName;
  /** The catalogue's versions whose image the registry holds. */
  versions: string[];
  /** The version a create without one gets; null when its image is not available (then give a version). */
  defaultVersion: string | null;
}

/** The engines this platform can run now: an engine none of whose images is in the registry is left out. */
@Injectable()
export class ListEnginesUseCase {
  constructor(private readonly admission: Admission) {}

  async execute(): Promise<EngineOffer[]> {
    const offers = await Promise.all(
      ENGINE_NAMES.map(async (engine) => ({ engine, versions: await this.admission.versions(engine) })),
    );
    return offers
      .filter((o) => o.versions.length > 0)
      .map((o) => {
        const def = ENGINES[o.engine].defaultVersion;
        return { ...o, defaultVersion: o.versions.includes(def) ? def : null };
      });
  }
}
