import { Inject, Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { ENV, WorkerEnv } from '@app/config';
import { SweepTenantNetworksUseCase } from '@app/domain';
import { RESOURCE_LOCK, ResourceLock } from '@app/domain/ports';
import { LeaderLoop } from '../leadership/leader-loop';

/** Removes the tenants' unused networks from the hosts, on one worker replica at a time. */
@Injectable()
export class TenantNetworkSweep implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(TenantNetworkSweep.name);
  private readonly loop: LeaderLoop;

  constructor(
    @Inject(ENV) env: WorkerEnv,
    @Inject(RESOURCE_LOCK) lock: ResourceLock,
    sweep: SweepTenantNetworksUseCase,
  ) {
    this.loop = new LeaderLoop(
      lock,
      'tenant-network-sweep',
      env.TENANT_NETWORK_SWEEP_INTERVAL_MS,
      async () => void (await sweep.execute(env.TENANT_NETWORK_IDLE_MS)),
      (err) => this.logger.warn(`tenant network sweep failed: ${(err as Error).message}`),
    );
  }

  onApplicationBootstrap(): void {
    this.loop.start();
  }

  onApplicationShutdown(): Promise<void> {
    return this.loop.stop();
  }
}
