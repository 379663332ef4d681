import { Inject, Injectable, Logger } from '@nestjs/common';
import { TENANT_LABEL } from '../../../databases/runtime/container-spec';
import { HOST_CONNECTOR, HOST_REPOSITORY, HostConnector, HostRepository } from '../../../ports';

/**
 * A tenant's network outlives its last database on a host (the next one starts without making it: ~0.2 s), and is
 * removed here once no container has used it for `idleMs`, as seen by this worker's rounds (another leader starts
 * the count again: later, never sooner). Docker refuses to remove a network in use, so a start racing a removal
 * keeps its network, or makes it again (DockerRuntime.ensureRunning).
 */
@Injectable()
export class SweepTenantNetworksUseCase {
  private readonly logger = new Logger(SweepTenantNetworksUseCase.name);
  /** `hostId network-id` → when a round first found it unused. */
  private readonly unusedSince = new Map<string, number>();

  constructor(
    @Inject(HOST_REPOSITORY) private readonly hosts: HostRepository,
    @Inject(HOST_CONNECTOR) private readonly connector: HostConnector,
  ) {}

  /** Returns the names of the networks removed. A host that does not answer is skipped until a later round. */
  async execute(idleMs: number, now = Date.now()): Promise<string[]> {
    const removed: string[] = [];
    const seen = new Set<string>();
    for (const host of await this.hosts.list()) {
      if (host.status !== 'active' && host.status !== 'draining') continue;
      try {
        const runtime = await this.connector.runtime(host);
        for (const n of await runtime.networks(TENANT_LABEL)) {
          const key = `${host.id} ${n.id}`;
          if (n.containers > 0) continue;
          seen.add(key);
          const since = this.unusedSince.get(key) ?? now;
          this.unusedSince.set(key, since);
          if (now - since < idleMs || !(await runtime.removeUnusedNetwork(n.id))) continue;
          this.unusedSince.delete(key);
          removed.push(n.name);
          this.logger.log(
            `host ${host.name}: tenant network ${n.name} unused for ${Math.round((now - since) / 1000)} s: removed`,
          );
        }
      } catch (err) {
        // Its networks keep their count: not seen this round is not seen in use.
        for (const key of this.unusedSince.keys()) if (key.startsWith(`${host.id} `)) seen.add(key);
        this.logger.debug(`host ${host.name}: tenant networks not swept: ${(err as Error).message}`);
      }
    }
    // In use again, or gone: counted afresh next time.
    for (const key of [...this.unusedSince.keys()]) if (!seen.has(key)) this.unusedSince.delete(key);
    return removed;
  }
}
