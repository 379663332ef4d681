import { Inject, Injectable, Logger } from '@nestjs/common';
import type { DatabaseEntity, HostEntity, PlanEntity } from '@app/persistence/entities';
import { HOST_CONNECTOR, HostConnector, PLAN_REPOSITORY, PlanRepository, type ContainerState } from '../../ports';
import { containerName } from './container-spec';
import { EgressLimiter, EgressStatus, NetnsTarget } from './egress-limiter';
import { AllowListTarget, IngressAllowList } from './ingress-allow-list';
import { runStep } from './step';

/** The running container's outbound policy could not be applied in full: which part failed, and why. */
export class EgressNotApplied extends Error {
  constructor(readonly failures: { part: 'filter' | 'rate'; message: string }[]) {
    super(failures.map((f) => `${f.part === 'filter' ? 'outbound filter' : 'egress rate'}: ${f.message}`).join('; '));
  }
}

/**
 * A database's network boundary on its host: who may connect to it (its IP allow-list) and what it may send (its
 * outbound connections filtered unless the plan allows them, its egress rate shaped). Applied at every start by the
 * runtime, and checked again periodically.
 */
@Injectable()
export class DatabaseNetworkPolicy {
  private readonly logger = new Logger(DatabaseNetworkPolicy.name);

  constructor(
    @Inject(HOST_CONNECTOR) private readonly connector: HostConnector,
    @Inject(PLAN_REPOSITORY) private readonly plans: PlanRepository,
  ) {}

  /**
   * Applies the plan's outbound policy to the running container: its outbound connections refused unless
   * `allowEgress`, then its rate (null: not shaped). The filter first, as it is the boundary; either is applied
   * even when the other fails. False when it is not running.
   */
  async shapeEgress(host: HostEntity, databaseId: string, mbit: number | null, allowEgress = false): Promise<boolean> {
    const runtime = await this.connector.runtime(host);
    const limiter = new EgressLimiter(await this.connector.executor(host));
    for (let i = 0; i < 3; i++) {
      const state = await runtime.inspect(containerName(databaseId));
      if (!state?.running) return false;
      const target = netnsOf(state);
      const failures: EgressNotApplied['failures'] = [];
      await limiter
        .guard(target, allowEgress)
        .catch((e: Error) => failures.push({ part: 'filter', message: e.message }));
      await limiter.apply(target, mbit).catch((e: Error) => failures.push({ part: 'rate', message: e.message }));
      // Restarted in between (restart policy): that is another namespace, to filter and shape again.
      const now = await runtime.inspect(containerName(databaseId));
      if (now?.pid === state.pid && now.netns === state.netns) {
        if (failures.length) throw new EgressNotApplied(failures);
        return true;
      }
    }
    throw new Error('the container kept restarting');
  }

  /**
   * For a periodic check: whether the running container's outbound connections are filtered and its egress shaped
   * as its plan says, re-applying both when not (the engine restarted the container, or the host rebooted: a new
   * namespace has neither). Null: not running.
   */
  async ensureEgress(host: HostEntity, db: DatabaseEntity): Promise<(EgressStatus & { reapplied: boolean }) | null> {
    const plan = await this.plans.get(db.planId);
    const state = await (await this.connector.runtime(host)).inspect(containerName(db.id));
    if (!plan || !state?.running) return null;
    const limiter = new EgressLimiter(await this.connector.executor(host));
    const guard = await limiter.checkGuard(netnsOf(state), allowsEgress(plan));
    const rate = await limiter.check(netnsOf(state), plan.egressMbit);
    const status = { inPlace: guard.inPlace && rate.inPlace, current: `${rate.current}, ${guard.current}` };
    if (status.inPlace) return { ...status, reapplied: false };
    this.logger.warn(
      `database ${db.id}: egress is ${status.current}, the plan says ${plan.egressMbit ?? 'none'}, outbound ${allowsEgress(plan) ? 'allowed' : 'refused'}`,
    );
    await this.shapeEgress(host, db.id, plan.egressMbit, allowsEgress(plan));
    return { ...status, reapplied: true };
  }

  /** Where the database's port is published on `host`, and who may connect to it. */
  private allowListTarget(host: HostEntity, db: DatabaseEntity): AllowListTarget | null {
    if (!db.port) return null;
    return { databaseId: db.id, address: db.vip ?? host.address, port: db.port, cidrs: db.allowedCidrs ?? [] };
  }

  /**
   * Puts the database's IP allow-list on its host (idempotent: nothing is written when it is there). A list that
   * cannot be applied fails the step: the tenant asked for it, so the database does not run open instead. No list:
   * whatever an earlier list left is removed, and a host where that cannot be read (no iptables) is only logged.
   */
  async applyAllowList(host: HostEntity, db: DatabaseEntity): Promise<boolean> {
    const target = this.allowListTarget(host, db);
    if (!target?.cidrs.length) {
      await this.removeAllowList(host, db.id);
      return false;
    }
    return this.step('IP allow-list', async () =>
      new IngressAllowList(await this.connector.executor(host)).apply(target),
    );
  }

  /** Removes the database's allow-list from `host`; never fails the caller (a leftover is swept later). */
  async removeAllowList(host: HostEntity, databaseId: string): Promise<void> {
    try {
      await new IngressAllowList(await this.connector.executor(host)).remove(databaseId);
    } catch (err) {
      this.logger.warn(`database ${databaseId}: allow-list not removed from ${host.name}: ${(err as Error).message}`);
    }
  }

  /**
   * For a periodic check: whether the host still holds the database's allow-list, applying it again when not (a
   * host reboot or a firewall reload empties the table). Null: no list to check.
   */
  async ensureAllowList(host: HostEntity, db: DatabaseEntity): Promise<{ reapplied: boolean } | null> {
    const target = this.allowListTarget(host, db);
    if (!target?.cidrs.length) return null;
    const fw = new IngressAllowList(await this.connector.executor(host));
    if (await fw.check(target)) return { reapplied: false };
    this.logger.warn(`database ${db.id}: its IP allow-list was missing on ${host.name}: applied again`);
    await fw.apply(target);
    return { reapplied: true };
  }

  private step<T>(name: string, fn: () => Promise<T>): Promise<T> {
    return runStep(this.logger, name, fn);
  }
}

/** Plans read from the database always say; a partial plan (tests, old rows in memory) refuses, the safe side. */
export function allowsEgress(plan: PlanEntity): boolean {
  return plan.allowEgress === true;
}

/** Docker's bind of the namespace when there is one (it cannot name another's later, as a reused pid could). */
function netnsOf(state: ContainerState): NetnsTarget {
  return state.netns ? { netns: state.netns } : { pid: state.pid };
}
