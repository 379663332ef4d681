import { Inject, Injectable } from '@nestjs/common';
import { PLAN_REPOSITORY, PlanRepository } from '../ports';

@Injectable()
export class ListPlansUseCase {
  constructor(@Inject(PLAN_REPOSITORY) private readonly plans: PlanRepository) {}

  async execute(): Promise<{ name: string; cpus: number; memoryMb: number; diskGb: number; storage: string }[]> {
    return (await this.plans.list()).map(({ name, cpus, memoryMb, diskGb, storageDriver }) => ({
      name,
      cpus,
      memoryMb,
      diskGb,
      storage: storageDriver ?? 'any',
    }));
  }
}
