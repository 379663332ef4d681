import { Inject, Injectable } from '@nestjs/common';
import { OperationContext, StepFailed } from '../../operations/operation-context';
import {
  DATABASE_REPOSITORY,
  DatabaseRepository,
  HOST_CONNECTOR,
  HostConnector,
  PLAN_REPOSITORY,
  PlanRepository,
  STORAGE_DRIVERS,
  StorageDrivers,
  VOLUME_REPOSITORY,
  VolumeRepository,
} from '../../ports';
import { containerName } from '../runtime/container-spec';
import { DatabaseRuntime } from '../runtime/database-runtime.service';
import { DatabaseJobOutcome } from './database-job-outcome.service';

/** The resize-database job: the new plan's limits on the running container (recreated for new disk caps), the volume grown online. */
@Injectable()
export class ResizeDatabaseJob {
  constructor(
    @Inject(DATABASE_REPOSITORY) private readonly databases: DatabaseRepository,
    @Inject(PLAN_REPOSITORY) private readonly plans: PlanRepository,
    @Inject(VOLUME_REPOSITORY) private readonly volumes: VolumeRepository,
    @Inject(HOST_CONNECTOR) private readonly connector: HostConnector,
    @Inject(STORAGE_DRIVERS) private readonly storage: StorageDrivers,
    private readonly dbRuntime: DatabaseRuntime,
    private readonly outcome: DatabaseJobOutcome,
  ) {}

  async run(databaseId: string, planId: string, op: OperationContext): Promise<void> {
    const l = await this.dbRuntime.loadLive(databaseId);
    const plan = await this.plans.get(planId);
    if (!plan) throw new StepFailed('resize', 'the plan no longer exists', { permanent: true });
    const runtime = await this.connector.runtime(l.host);
    await op.progress(30, `applying plan ${plan.name}`);
    const next = { ...l, plan };
    const spec = await this.dbRuntime.spec(next, l.volume.path ?? (await this.dbRuntime.ensureVolume(l)), (m) =>
      op.progress(30, m),
    );
    const applied = await this.dbRuntime.step('resource update', () =>
      runtime.updateResources(containerName(l.db.id), { cpus: plan.cpus, memoryMb: plan.memoryMb, io: spec.io }),
    );
    if (applied === 'recreate') {
      // Disk caps are set only when the engine creates a container: a restart on the same volume.
      await op.progress(40, 'new disk caps: recreating the container');
      await this.dbRuntime.step('container recreate', () => runtime.ensureRunning(spec));
      await this.dbRuntime.waitReady(next);
    }
    await this.dbRuntime.applyLimits(next, (m) => op.progress(50, m));
    const driver = this.storage.get(l.volume.driver);
    if (plan.diskGb > l.volume.sizeGb && driver.grow) {
      // Online: the filesystem grows under the running database.
      await op.progress(60, `growing the volume to ${plan.diskGb} GB`);
      await this.dbRuntime.step('volume grow', () => driver.grow!(l.host, l.volume, plan.diskGb));
    }
    await this.databases.update(l.db.id, { planId: plan.id });
    await this.volumes.update(l.volume.id, { sizeGb: plan.diskGb });
    await this.outcome.finish(databaseId, 'running', 'database.resized', `now on plan ${plan.name}`, op);
  }
}
