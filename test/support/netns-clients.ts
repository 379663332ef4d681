import { execFile, execFileSync } from 'node:child_process';
import { randomBytes, randomInt } from 'node:crypto';

const IP = '/usr/sbin/ip';

const ip = (...args: string[]) => execFileSync(IP, args, { stdio: ['ignore', 'ignore', 'pipe'] });

export interface NetnsClient {
  /** The namespace's name (`ip netns exec <ns> …`). */
  ns: string;
  /** Its own address, the source of its connections. */
  address: string;
  /** Its /24, as an allow-list entry. */
  cidr: string;
  /** The machine's side of the link: an address of this machine (the root namespace). */
  gateway: string;
  /** The link's name in the root namespace. */
  link: string;
  /** With `ipv6`: its own IPv6 address, its /64 and the machine's IPv6 address on the link (else undefined). */
  address6?: string;
  cidr6?: string;
  gateway6?: string;
}

export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

/**
 * Tenants' machines for network tests against this machine's dockerd: each a network namespace linked to the root
 * namespace by a veth pair on a /24 of its own in 10.250.0.0/16 (`.1` the machine, `.2` the client), with its
 * default route through the machine. A client's connection to a port Docker publishes on one of the machine's
 * addresses arrives from outside, as a remote tenant's would: DNATed in PREROUTING, then through FORWARD (and
 * DOCKER-USER). Every name carries a random id; `destroy()` removes them all.
 */
export class NetnsClients {
  readonly id = randomBytes(3).toString('hex');
  readonly clients: NetnsClient[] = [];

  /** `ipv6`: each link also carries a /64 of its own in fdba::/16 (`::1` the machine, `::2` the client). */
  constructor(
    private readonly count: number,
    private readonly opts: { ipv6?: boolean } = {},
  ) {}

  start(): this {
    // Distinct /24s of this run (a clash with another run is unlikely and fails loudly on `ip addr add`).
    const first = randomInt(1, 250 - this.count);
    for (let i = 0; i < this.count; i++) {
      const net = `10.250.${first + i}`;
      const c: NetnsClient = {
        ns: `dal-${this.id}-${i}`,
        address: `${net}.2`,
        cidr: `${net}.0/24`,
        gateway: `${net}.1`,
        link: `dal${this.id}${i}`,
      };
      this.clients.push(c);
      ip('netns', 'add', c.ns);
      ip('netns', 'exec', c.ns, IP, 'link', 'set', 'lo', 'up');
      ip('link', 'add', c.link, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', c.ns);
      ip('addr', 'add', `${c.gateway}/24`, 'dev', c.link);
      ip('link', 'set', c.link, 'up');
      ip('netns', 'exec', c.ns, IP, 'addr', 'add', `${c.address}/24`, 'dev', 'eth0');
      ip('netns', 'exec', c.ns, IP, 'link', 'set', 'eth0', 'up');
      ip('netns', 'exec', c.ns, IP, 'route', 'add', 'default', 'via', c.gateway);
      if (this.opts.ipv6) this.addIpv6(c, i);
    }
    return this;
  }

  private addIpv6(c: NetnsClient, i: number): void {
    // Groups written as the API's canonical form wants them: no leading zeros (an id may start with 0).
    const group = (hex: string) => parseInt(hex, 16).toString(16);
    const net = `fdba:${group(this.id.slice(0, 4))}:${group(`${this.id.slice(4)}${i}`)}`;
    c.address6 = `${net}::2`;
    c.cidr6 = `${net}::/64`;
    c.gateway6 = `${net}::1`;
    // nodad: usable at once (no duplicate address detection holding them tentative for a second or two).
    ip('-6', 'addr', 'add', `${c.gateway6}/64`, 'dev', c.link, 'nodad');
    ip('netns', 'exec', c.ns, IP, '-6', 'addr', 'add', `${c.address6}/64`, 'dev', 'eth0', 'nodad');
    ip('netns', 'exec', c.ns, IP, '-6', 'route', 'add', 'default', 'via', c.gateway6);
  }

  /** Runs a program inside a client's namespace (argv, no shell unless asked), bounded in time. */
  run(
    c: NetnsClient,
    argv: string[],
    opts: { env?: Record<string, string>; timeoutMs?: number } = {},
  ): Promise<RunResult> {
    return new Promise((resolve) => {
      execFile(
        IP,
        ['netns', 'exec', c.ns, ...argv],
        { env: { ...process.env, ...opts.env }, timeout: opts.timeoutMs ?? 30_000 },
        (err, stdout, stderr) => {
          const code = err
            ? typeof (err as { code?: unknown }).code === 'number'
              ? (err as { code: number }).code
              : -1
            : 0;
          resolve({ code, stdout: String(stdout), stderr: String(stderr) });
        },
      );
    });
  }

  /**
   * A bare TCP connection from the client (no engine protocol): 'open', 'refused' (a reset: nothing listens, or a
   * REJECT), or 'timeout' (no answer in `seconds`: dropped on the way).
   */
  async tcp(c: NetnsClient, address: string, port: number, seconds = 3): Promise<'open' | 'refused' | 'timeout'> {
    const r = await this.run(c, [
      'timeout',
      String(seconds),
      'bash',
      '-c',
      'exec 3<>"/dev/tcp/$1/$2"',
      '-',
      address,
      String(port),
    ]);
    return r.code === 0 ? 'open' : r.code === 124 ? 'timeout' : 'refused';
  }

  destroy(): void {
    for (const c of this.clients) {
      try {
        ip('link', 'del', c.link);
      } catch {
        // gone with its namespace already
      }
      try {
        ip('netns', 'del', c.ns);
      } catch {
        // never made
      }
    }
  }
}
