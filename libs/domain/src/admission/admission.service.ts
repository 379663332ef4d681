import { Inject, Injectable } from '@nestjs/common';
import { CommonEnv, ENV } from '@app/config';
import type { EngineName, HostEntity, PlanEntity } from '@app/persistence/entities';
import { DatabaseException, DatabaseExceptionCode } from '../databases/database.exception';
import { ENGINES, imageRef } from '../engines';
import { overcommitOf, type Overcommit } from '../placement/fleet';
import { hostShortfall, planFit, type PlanDemand, type PlanFit } from '../placement/plan-fit';
import {
  HOST_REPOSITORY,
  HostRepository,
  IMAGE_CATALOG,
  ImageCatalog,
  PLACEMENT_SETTINGS_REPOSITORY,
  PlacementSettingsRepository,
} from '../ports';

const demandOf = (p: PlanEntity): PlanDemand => ({
  name: p.name,
  cpus: p.cpus,
  memoryMb: p.memoryMb,
  diskGb: p.diskGb,
  storageDriver: p.storageDriver,
});

/**
 * What this platform can run as it stands: the engine versions whose image the registry holds, the plans some
 * active host could hold. Requests outside it are refused (422) before anything is created, instead of failing
 * in the worker after their retries. When the registry cannot answer, images are not judged (the worker's pull
 * retries and reports); when no host is active, plans are not judged (placement answers 503).
 */
@Injectable()
export class Admission {
  constructor(
    @Inject(IMAGE_CATALOG) private readonly images: ImageCatalog,
    @Inject(HOST_REPOSITORY) private readonly hosts: HostRepository,
    @Inject(PLACEMENT_SETTINGS_REPOSITORY) private readonly settings: PlacementSettingsRepository,
    @Inject(ENV) private readonly env: CommonEnv,
  ) {}

  /** The engine's catalogue versions whose image the registry holds; all of them when that cannot be known. */
  async versions(engine: EngineName): Promise<string[]> {
    const def = ENGINES[engine];
    const tags = await this.images.tags(def.image);
    return tags ? def.versions.filter((v) => tags.includes(v)) : [...def.versions];
  }

  /** 422 when the registry says it has no image for this engine version: no pull of it can succeed. */
  async requireImage(engine: EngineName, version: string): Promise<void> {
    const def = ENGINES[engine];
    const tags = await this.images.tags(def.image);
    if (!tags || tags.includes(version)) return;
    const offered = def.versions.filter((v) => tags.includes(v));
    throw new DatabaseException(
      DatabaseExceptionCode.ImageUnavailable,
      `${engine} ${version} cannot run here: the image ${imageRef(def, version, this.env.IMAGE_REGISTRY)} is not ` +
        `in the registry (${offered.length ? `available: ${offered.join(', ')}` : `no ${engine} version is`}); ` +
        'see GET /v1/engines',
    );
  }

  /**
   * 422 when no active host could hold one database of the plan, even empty. With `onHostId` (changes made in
   * place, such as a resize) that host must be able to hold it too, whatever its status.
   */
  async requirePlan(plan: PlanEntity, onHostId?: string | null): Promise<void> {
    const { hosts, overcommit } = await this.fleet();
    const fit = planFit(hosts, demandOf(plan), overcommit);
    if (fit.verdict === 'too-large') throw new DatabaseException(DatabaseExceptionCode.PlanTooLarge, fit.reason);
    const host = onHostId ? hosts.find((h) => h.id === onHostId) : undefined;
    const short = host ? hostShortfall(host, demandOf(plan), overcommit) : null;
    if (short)
      throw new DatabaseException(
        DatabaseExceptionCode.PlanTooLarge,
        `${short}, where this database runs (a resize happens in place; an operator can move it to a larger host first)`,
      );
  }

  /** Each plan's verdict on the fleet as it is now (one read of the hosts for all of them). */
  async fits(plans: PlanEntity[]): Promise<PlanFit[]> {
    const { hosts, overcommit } = await this.fleet();
    return plans.map((p) => planFit(hosts, demandOf(p), overcommit));
  }

  private async fleet(): Promise<{ hosts: HostEntity[]; overcommit: Overcommit }> {
    const [hosts, s] = await Promise.all([this.hosts.list(), this.settings.get()]);
    return {
      hosts,
      overcommit: overcommitOf(s),
    };
  }
}
