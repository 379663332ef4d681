import type { CommandExecutor } from '../../ports';

/**
 * A container's outgoing bandwidth, shaped with tc in its network namespace from the host (the image needs no tc
 * and the tenant cannot change it: the container has no CAP_NET_ADMIN).
 *
 * tbf, not htb: one rate for the whole interface needs no classes, and `tc qdisc replace` of a single classless
 * qdisc is one atomic, idempotent command. htb would need a qdisc, a class and a default class set by three
 * commands (a half-applied state in between) to say the same thing.
 */

/** Where the namespace is: Docker's bind of it (gone with the sandbox, so never another's), else a pid. */
export type NetnsTarget = { netns: string } | { pid: number };

/** The container's interface on Docker's bridge network. */
export const EGRESS_IFACE = 'eth0';
export const MAX_EGRESS_MBIT = 100_000;
// The most a packet waits in the queue: bounds the queue (rate x latency + burst), so a full one drops early.
const LATENCY_MS = 50;
// A veth hands tbf GSO segments of up to 64 KiB; a smaller bucket makes it split each one in software.
const MIN_BURST_BYTES = 64 * 1024;
const TIMEOUT_MS = 15_000;

const NETNS_PATH = /^\/(?:[A-Za-z0-9_.-]+\/)*[A-Za-z0-9_.-]+$/;

export function egressMbit(mbit: number): number {
  if (!Number.isInteger(mbit) || mbit < 1 || mbit > MAX_EGRESS_MBIT)
    throw new Error(`unsafe egress rate: ${JSON.stringify(mbit)} (an integer Mbit/s, 1-${MAX_EGRESS_MBIT})`);
  return mbit;
}

/** The token bucket: at least one GSO segment, else 10 ms worth of the rate (tbf needs rate/HZ at the least). */
export function tbfBurstBytes(mbit: number): number {
  return Math.max(MIN_BURST_BYTES, Math.ceil((egressMbit(mbit) * 125_000) / 100));
}

function nsenter(target: NetnsTarget): string[] {
  if ('netns' in target) {
    const p = target.netns;
    if (typeof p !== 'string' || !NETNS_PATH.test(p) || p.split('/').some((s) => s === '.' || s === '..'))
      throw new Error(`unsafe network namespace path: ${JSON.stringify(p)}`);
    return ['nsenter', `--net=${p}`];
  }
  // pid_max is at most 2^22; pid 1 would be the host's own namespace.
  if (!Number.isInteger(target.pid) || target.pid < 2 || target.pid > 4_194_304)
    throw new Error(`unsafe pid: ${JSON.stringify(target.pid)}`);
  return ['nsenter', '-t', String(target.pid), '-n'];
}

export const egressCmd = {
  apply: (target: NetnsTarget, mbit: number) => [
    ...nsenter(target),
    'tc',
    'qdisc',
    'replace',
    'dev',
    EGRESS_IFACE,
    'root',
    'tbf',
    'rate',
    `${egressMbit(mbit)}mbit`,
    'burst',
    String(tbfBurstBytes(mbit)),
    'latency',
    `${LATENCY_MS}ms`,
  ],
  remove: (target: NetnsTarget) => [...nsenter(target), 'tc', 'qdisc', 'del', 'dev', EGRESS_IFACE, 'root'],
  show: (target: NetnsTarget) => [...nsenter(target), 'tc', '-j', 'qdisc', 'show', 'dev', EGRESS_IFACE],
};

/**
 * The container's outbound connections, refused in its network namespace where the plan does not allow them: only
 * replies to connections made to it (the tenant's clients, through the published port) and loopback leave. Not a
 * Docker `internal` network, which would also end the port publishing. Docker's resolver (127.0.0.11) is refused
 * too: it would resolve names for the container on the host, a way out. The whole filter table is replaced in one
 * iptables-restore (Docker keeps only nat rules in a container's namespace), so it is never half applied.
 */
export function firewallRules(allowEgress: boolean): string {
  const rules = allowEgress
    ? []
    : [
        '-A OUTPUT -o lo -d 127.0.0.11/32 -j REJECT',
        '-A OUTPUT -o lo -j ACCEPT',
        '-A OUTPUT -m conntrack --ctstate ESTABLISHED,RELATED -j ACCEPT',
        '-A OUTPUT -j REJECT',
      ];
  return [
    '*filter',
    ':INPUT ACCEPT [0:0]',
    ':FORWARD ACCEPT [0:0]',
    ':OUTPUT ACCEPT [0:0]',
    ...rules,
    'COMMIT',
    '',
  ].join('\n');
}

export const firewallCmd = {
  // -w: wait for the xtables lock (iptables-legacy hosts) instead of failing at once.
  restore: (target: NetnsTarget) => [...nsenter(target), 'iptables-restore', '-w', '5'],
  save: (target: NetnsTarget) => [...nsenter(target), 'iptables-save', '-t', 'filter'],
};

/** Compares `iptables-save -t filter` in the namespace with what `allowEgress` asks for. */
export function parseFirewall(saved: string, allowEgress: boolean): EgressStatus {
  const output = saved.split('\n').filter((l) => l.startsWith('-A OUTPUT '));
  const last = output.at(-1) ?? '';
  const blocked =
    /^-A OUTPUT -j REJECT\b/.test(last) &&
    output.some((l) => /--ctstate (RELATED,ESTABLISHED|ESTABLISHED,RELATED) -j ACCEPT/.test(l));
  const current = blocked ? 'outbound blocked' : output.length ? 'outbound partly filtered' : 'outbound open';
  return { inPlace: allowEgress ? output.length === 0 : blocked, current };
}

/** `tc qdisc del … root` where there is only the default qdisc left: nothing to remove. */
export function isNoQdisc(stderr: string): boolean {
  return /handle of zero|No such file or directory|Invalid handle/i.test(stderr);
}

export interface EgressStatus {
  /** True when the root qdisc is what `mbit` asks for (null: no shaping). */
  inPlace: boolean;
  /** What is there, e.g. 'tbf 8mbit', 'noqueue'. */
  current: string;
}

/** Compares `tc -j qdisc show dev eth0` output with the wanted rate. */
export function parseEgressStatus(json: string, mbit: number | null): EgressStatus {
  let rows: { kind?: string; root?: boolean; options?: { rate?: number } }[];
  try {
    rows = JSON.parse(json || '[]');
  } catch {
    throw new Error(`tc printed no JSON: ${json.slice(0, 200)}`);
  }
  const root = Array.isArray(rows) ? rows.find((r) => r.root) : undefined;
  const kind = root?.kind ?? 'none';
  if (kind !== 'tbf') return { inPlace: mbit === null, current: kind };
  const rate = Number(root?.options?.rate ?? 0); // bytes/s
  const current = `tbf ${Math.round((rate * 8) / 1e6)}mbit`;
  // The kernel keeps the rate as given; 1% covers a rounding tc might do on other versions.
  return { inPlace: mbit !== null && Math.abs(rate - mbit * 125_000) <= mbit * 1250, current };
}

function lastLine(text: string): string {
  return text.trim().split('\n').pop() ?? '';
}

export class EgressLimiter {
  constructor(private readonly exec: CommandExecutor) {}

  /** Shapes the namespace's egress to `mbit` (replacing any earlier rate), or removes the shaping (null). */
  async apply(target: NetnsTarget, mbit: number | null): Promise<void> {
    if (mbit === null) {
      const res = await this.exec.run(egressCmd.remove(target), { timeoutMs: TIMEOUT_MS });
      if (res.exitCode !== 0 && !isNoQdisc(res.stderr))
        throw new Error(`tc qdisc del exited with ${res.exitCode}: ${lastLine(res.stderr)}`);
      return;
    }
    const res = await this.exec.run(egressCmd.apply(target, mbit), { timeoutMs: TIMEOUT_MS });
    if (res.exitCode !== 0) throw new Error(`tc qdisc replace exited with ${res.exitCode}: ${lastLine(res.stderr)}`);
  }

  /** Refuses the namespace's outbound connections, or lets them out (`allowEgress`). */
  async guard(target: NetnsTarget, allowEgress: boolean): Promise<void> {
    const res = await this.exec.run(firewallCmd.restore(target), {
      timeoutMs: TIMEOUT_MS,
      input: firewallRules(allowEgress),
    });
    if (res.exitCode !== 0) throw new Error(`iptables-restore exited with ${res.exitCode}: ${lastLine(res.stderr)}`);
  }

  /** Whether the namespace's outbound connections are as `allowEgress` says; throws when it cannot be read. */
  async checkGuard(target: NetnsTarget, allowEgress: boolean): Promise<EgressStatus> {
    const res = await this.exec.run(firewallCmd.save(target), { timeoutMs: TIMEOUT_MS });
    if (res.exitCode !== 0) throw new Error(`iptables-save exited with ${res.exitCode}: ${lastLine(res.stderr)}`);
    return parseFirewall(res.stdout, allowEgress);
  }

  /** Whether the namespace's egress is shaped as `mbit` asks; throws when it cannot be read (namespace gone). */
  async check(target: NetnsTarget, mbit: number | null): Promise<EgressStatus> {
    if (mbit !== null) egressMbit(mbit);
    const res = await this.exec.run(egressCmd.show(target), { timeoutMs: TIMEOUT_MS });
    if (res.exitCode !== 0) throw new Error(`tc qdisc show exited with ${res.exitCode}: ${lastLine(res.stderr)}`);
    return parseEgressStatus(res.stdout, mbit);
  }
}
