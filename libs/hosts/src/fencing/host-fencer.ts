import { Inject, Injectable, Logger } from '@nestjs/common';
import { HOST_CONNECTOR, type Fencer, type FenceResult, type HostConnector } from '@app/domain/ports';
import type { HostEntity } from '@app/persistence/entities';
import { withTimeout } from '@app/domain/shared/timeout';
import { LocalExecutor } from '../executors/local-executor';

/**
 * Fencing drivers behind one interface. The power command (IPMI, a PDU, a hypervisor; in the lab, stopping the
 * VM) is the one that counts; `poweroff -f` over SSH is tried at the same time as a best effort, and counts only
 * when the host answered it.
 */
@Injectable()
export class HostFencer implements Fencer {
  private readonly logger = new Logger(HostFencer.name);
  private readonly local = new LocalExecutor();

  constructor(@Inject(HOST_CONNECTOR) private readonly connector: HostConnector) {}

  async fence(host: HostEntity): Promise<FenceResult> {
    const cfg = host.fencing;
    const [ssh, power] = await Promise.all([
      host.connection === 'ssh' ? this.sshPoweroff(host) : Promise.resolve(null),
      cfg?.driver === 'command' ? this.powerCommand(cfg.command, cfg.timeoutSec ?? 30) : Promise.resolve(null),
    ]);
    await this.connector.reset(host);
    if (power?.fenced) return power;
    if (ssh?.fenced && (cfg?.driver === 'ssh' || !power)) return ssh;
    const tried = [power, ssh].filter((r): r is FenceResult => !!r);
    return {
      fenced: false,
      method: tried.map((r) => r.method).join('+') || 'none',
      detail: tried.length ? tried.map((r) => r.detail).join('; ') : 'no fencing method is configured for this host',
    };
  }

  private async powerCommand(argv: string[], timeoutSec: number): Promise<FenceResult> {
    try {
      const res = await this.local.run(argv, { timeoutMs: timeoutSec * 1000 });
      if (res.exitCode === 0) return { fenced: true, method: 'power-command', detail: 'power command succeeded' };
      return {
        fenced: false,
        method: 'power-command',
        detail: `power command exited with ${res.exitCode}: ${res.stderr.trim().split('\n').pop() ?? ''}`.slice(0, 300),
      };
    } catch (err) {
      return { fenced: false, method: 'power-command', detail: `power command failed: ${(err as Error).message}` };
    }
  }

  private async sshPoweroff(host: HostEntity): Promise<FenceResult> {
    try {
      const exec = await withTimeout(this.connector.executor(host), 2000, 'no SSH session');
      // `-f`: no clean shutdown; the host stops writing now. The session usually dies before an answer comes.
      const res = await exec.run(['poweroff', '-f'], { timeoutMs: 2000 }).catch((err: Error) => err);
      const answered = !(res instanceof Error) || /closed|ended|ECONNRESET|Not connected/i.test(res.message);
      return answered
        ? { fenced: true, method: 'ssh-poweroff', detail: 'the host accepted poweroff -f' }
        : { fenced: false, method: 'ssh-poweroff', detail: `poweroff -f not confirmed: ${res.message}` };
    } catch (err) {
      this.logger.debug(`ssh poweroff of ${host.name}: ${(err as Error).message}`);
      return { fenced: false, method: 'ssh-poweroff', detail: `host unreachable over SSH (${(err as Error).message})` };
    }
  }
}
