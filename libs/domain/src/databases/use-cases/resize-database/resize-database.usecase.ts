import { Inject, Injectable } from '@nestjs/common';
import { JobName } from '@app/jobs';
import type { OperationEntity } from '@app/persistence/entities';
import { Admission } from '../../../admission/admission.service';
import { PLAN_REPOSITORY, PlanRepository } from '../../../ports';
import { DatabaseOperationStarter } from '../../database-operation-starter';
import { DatabaseException, DatabaseExceptionCode } from '../../database.exception';
import { ResizeDatabaseCommand } from './resize-database.command';

@Injectable()
export class ResizeDatabaseUseCase {
  constructor(
    private readonly starter: DatabaseOperationStarter,
    @Inject(PLAN_REPOSITORY) private readonly plans: PlanRepository,
    private readonly admission: Admission,
  ) {}

  async execute(cmd: ResizeDatabaseCommand): Promise<OperationEntity> {
    const plan = await this.plans.findByName(cmd.plan);
    if (!plan)
      throw new DatabaseException(
        DatabaseExceptionCode.PlanNotFound,
        `plan "${cmd.plan}" does not exist; see GET /v1/plans`,
      );
    const db = await this.starter.findOwned(cmd.tenantId, cmd.databaseId);
    const current = await this.plans.get(db.planId);
    // Directory volumes cannot shrink safely, and neither can most filesystems.
    if (current && plan.diskGb < current.diskGb) {
      throw new DatabaseException(
        DatabaseExceptionCode.InvalidState,
        `plan "${plan.name}" has less disk (${plan.diskGb} GB) than the current one (${current.diskGb} GB); volumes do not shrink`,
      );
    }
    // The container stays where it is: its host must be able to give it the plan (else it fails in the worker).
    await this.admission.requirePlan(plan, db.hostId);
    return this.starter.start({
      tenantId: cmd.tenantId,
      databaseId: cmd.databaseId,
      type: 'resize-database',
      allowedFrom: ['running'],
      params: { planId: plan.id, plan: plan.name },
      job: (operationId) => ({
        name: JobName.ResizeDatabase,
        data: { operationId, databaseId: db.id, planId: plan.id },
      }),
    });
  }
}
