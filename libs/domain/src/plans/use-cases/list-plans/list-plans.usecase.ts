import { Inject, Injectable } from '@nestjs/common';
import { Admission } from '../../../admission/admission.service';
import { PLAN_REPOSITORY, PlanRepository } from '../../../ports';

@Injectable()
export class ListPlansUseCase {
  constructor(
    @Inject(PLAN_REPOSITORY) private readonly plans: PlanRepository,
    private readonly admission: Admission,
  ) {}

  /** The plans a database can be created on now: those some active host could hold (see Admission). */
  async execute(): Promise<{ name: string; cpus: number; memoryMb: number; diskGb: number; storage: string }[]> {
    const plans = await this.plans.list();
    const fits = await this.admission.fits(plans);
    return plans
      .filter((_, i) => fits[i].verdict === 'fits')
      .map(({ name, cpus, memoryMb, diskGb, storageDriver }) => ({
        name,
        cpus,
        memoryMb,
        diskGb,
        storage: storageDriver ?? 'any',
      }));
  }
}
