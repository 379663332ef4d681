import { Inject, Injectable, Logger } from '@nestjs/common';
import { CommonEnv, ENV } from '@app/config';
import {
  HOST_CONNECTOR,
  maskSecrets,
  SECRET_BOX,
  type Fencer,
  type FenceResult,
  type HostConnector,
  type SecretSealer,
} from '@app/domain/ports';
import { DEFAULT_FENCE_TIMEOUT_SEC } from '@app/domain/hosts/fencing';
import type { AgentFencing, HostEntity } from '@app/persistence/entities';
import { withTimeout } from '@app/domain/shared/timeout';
import { LocalExecutor } from '../executors/local-executor';
import { AgentRefused, listAgents, resolveAgent } from './fence-agents';

// A power device may report the old state for a moment after `off`: its status is asked again, this far apart.
const STATUS_RETRY_MS = 1000;
const STATUS_ATTEMPTS = 10;
const SSH_POWEROFF_MS = 2000;
export const NO_CONFIRMING_METHOD = 'no confirming fence method: an operator must confirm the host is off';

const agentEnv = (): Record<string, string> =>
  Object.fromEntries(
    ['PATH', 'LANG', 'LC_ALL', 'TZ'].filter((k) => process.env[k] !== undefined).map((k) => [k, process.env[k]!]),
  );

const lastLine = (text: string) =>
  text
    .trim()
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean)
    .pop() ?? '';

/**
 * Fencing that proves itself. A fence agent of the allow-list (FENCE_AGENTS_DIR) powers the host off, and only its
 * own status run saying "off" counts (fence-agents convention: exit 2 = off, 0 = on). `poweroff -f` over SSH is
 * sent at the same time as an extra, and never counts: a host that answered may not have stopped, and one that
 * reset the connection may simply be unreachable. Without an agent, an operator vouches (`poweredOff`).
 */
@Injectable()
export class HostFencer implements Fencer {
  private readonly logger = new Logger(HostFencer.name);
  // Agents get a bare environment: the control plane's (MASTER_KEY, DATABASE_URL...) is none of their business.
  private readonly local = new LocalExecutor({ env: agentEnv() });

  constructor(
    @Inject(HOST_CONNECTOR) private readonly connector: HostConnector,
    @Inject(ENV) private readonly env: Pick<CommonEnv, 'FENCE_AGENTS_DIR'>,
    @Inject(SECRET_BOX) private readonly secrets: SecretSealer,
  ) {}

  async checkAgent(agent: string): Promise<string | null> {
    return resolveAgent(this.env.FENCE_AGENTS_DIR, agent).then(
      () => null,
      (err: Error) => err.message,
    );
  }

  async agents(): Promise<string[]> {
    return listAgents(this.env.FENCE_AGENTS_DIR);
  }

  async fence(host: HostEntity): Promise<FenceResult> {
    const cfg = host.fencing;
    const agent = cfg?.driver === 'agent' ? cfg : null;
    const sendPoweroff = host.connection === 'ssh' && (agent?.sshPoweroff ?? true);
    const [ssh, power] = await Promise.all([
      sendPoweroff ? this.sshPoweroff(host) : Promise.resolve(null),
      agent ? this.runAgent(agent) : Promise.resolve(null),
    ]);
    await this.connector.reset(host);
    const extra = ssh ? ` (${ssh})` : '';
    if (power) return power.fenced ? power : { ...power, detail: `${power.detail}${extra}`.slice(0, 500) };
    return { fenced: false, method: ssh ? 'ssh-poweroff' : 'none', detail: `${NO_CONFIRMING_METHOD}${extra}` };
  }

  /** `action=off`, then `action=status` until it says off (exit 2) or the time is up. */
  private async runAgent(cfg: AgentFencing): Promise<FenceResult> {
    const method = `agent:${cfg.agent}`;
    const timeoutSec = cfg.timeoutSec ?? DEFAULT_FENCE_TIMEOUT_SEC;
    const deadline = Date.now() + timeoutSec * 1000;
    const notFenced = (detail: string): FenceResult => ({ fenced: false, method, detail: detail.slice(0, 400) });
    let path: string;
    try {
      path = await resolveAgent(this.env.FENCE_AGENTS_DIR, cfg.agent);
    } catch (err) {
      if (!(err instanceof AgentRefused)) throw err;
      return notFenced(err.message);
    }
    // Secrets are opened here only, for the agent's stdin, and masked in whatever it prints back.
    let params: [string, string][];
    try {
      params = [
        ...Object.entries(cfg.params ?? {}),
        ...Object.entries(cfg.sealedParams ?? {}).map(([k, v]): [string, string] => [k, this.secrets.open(v)]),
      ].sort(([a], [b]) => (a < b ? -1 : 1));
    } catch (err) {
      return notFenced(`a secret parameter of ${cfg.agent} cannot be opened: ${(err as Error).message}`);
    }
    const secrets = Object.keys(cfg.sealedParams ?? {}).map((k) => params.find(([key]) => key === k)![1]);
    const run = async (action: 'off' | 'status') =>
      this.local.run([path], {
        input: [`action=${action}`, ...params.map(([k, v]) => `${k}=${v}`)].join('\n') + '\n',
        // The status gets a last second even when `off` used up the time.
        timeoutMs: Math.max(deadline - Date.now(), 1000),
        secrets,
      });
    const said = (r: { stdout: string; stderr: string }) =>
      lastLine(r.stderr) || maskSecrets(lastLine(r.stdout), secrets) || 'no output';

    try {
      const off = await run('off');
      if (off.exitCode !== 0) return notFenced(`${cfg.agent} off exited with ${off.exitCode}: ${said(off)}`);
    } catch (err) {
      return notFenced(`${cfg.agent} off failed: ${maskSecrets((err as Error).message, secrets)}`);
    }
    let last = '';
    let attempts = 0;
    for (;;) {
      attempts++;
      try {
        const st = await run('status');
        if (st.exitCode === 2)
          return {
            fenced: true,
            method,
            detail: `${cfg.agent}: power off, confirmed by its status${attempts > 1 ? ` (check ${attempts})` : ''}`,
            confirmedBy: 'agent-status',
          };
        last =
          st.exitCode === 0
            ? `${cfg.agent} status says the power is still on: ${said(st)}`
            : `${cfg.agent} status exited with ${st.exitCode}: ${said(st)}`;
      } catch (err) {
        last = `${cfg.agent} status failed: ${maskSecrets((err as Error).message, secrets)}`;
      }
      if (attempts >= STATUS_ATTEMPTS || Date.now() + STATUS_RETRY_MS >= deadline) break;
      await new Promise((r) => setTimeout(r, STATUS_RETRY_MS));
    }
    this.logger.warn(`fence agent ${cfg.agent}: not confirmed off after ${attempts} status checks: ${last}`);
    return notFenced(`${last} (${attempts} status check${attempts > 1 ? 's' : ''} within ${timeoutSec} s)`);
  }

  /** Best effort: `poweroff -f` over SSH within 2 s. Returns what happened, for the detail; it never fences. */
  private async sshPoweroff(host: HostEntity): Promise<string> {
    const attempt = async () => {
      const exec = await this.connector.executor(host);
      // `-f`: no clean shutdown; the host stops writing now, if it runs the command at all.
      return exec.run(['poweroff', '-f'], { timeoutMs: SSH_POWEROFF_MS });
    };
    try {
      const res = await withTimeout(attempt(), SSH_POWEROFF_MS, `no answer within ${SSH_POWEROFF_MS} ms`);
      return `poweroff -f over SSH exited with ${res.exitCode}, which proves nothing`;
    } catch (err) {
      this.logger.debug(`ssh poweroff of ${host.name}: ${(err as Error).message}`);
      return `poweroff -f over SSH: ${(err as Error).message}`;
    }
  }
}
