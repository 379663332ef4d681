import { ChildProcess, execFileSync, spawn } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes, randomInt } from 'node:crypto';
import { SSHD } from './sshd';

const IP = '/usr/sbin/ip';
const KEYGEN = '/usr/bin/ssh-keygen';
const TC = '/usr/sbin/tc';

const ip = (...args: string[]) => execFileSync(IP, args, { stdio: ['ignore', 'ignore', 'pipe'] });
const inNs = (ns: string, ...args: string[]) => ip('netns', 'exec', ns, IP, ...args);

export interface NetnsHost {
  name: string;
  /** The namespace's address on the fleet's segment (its sshd listens on port 22 there). */
  address: string;
  ns: string;
  /** The host's own end of its link, inside the switch namespace: down = its cable pulled. */
  port: string;
  sshd?: ChildProcess;
}

/**
 * Hosts built from network namespaces, for failures between machines: each has its own network stack, an
 * address on one switched segment and a real sshd. The switch (a bridge) lives in a namespace of its own, so the
 * machine's firewall (Docker's FORWARD policy) never sees the traffic; the control plane (this process) joins the
 * segment through a link of its own at `.1`.
 *
 * Cut the control plane from one host (its replies to `.1` are dropped, the other hosts still reach it), from all
 * of them (its own link down), or "power off" a host (sshd killed, its link down). Everything is removed by
 * `destroy()`, and every name carries a random id, so two runs never meet.
 *
 * The sshds run as root (they share this machine's filesystem), with a PATH whose `poweroff`, `reboot` and
 * `halt` are harmless stand-ins: a fencing path that sends `poweroff -f` over SSH must never stop this machine.
 */
export class NetnsFleet {
  readonly id = randomBytes(3).toString('hex');
  readonly dir = mkdtempSync(join(tmpdir(), 'netns-fleet-'));
  /** 10.213.X.0/24: a private segment of this run. */
  readonly subnet = `10.213.${randomInt(1, 254)}`;
  readonly hosts: NetnsHost[] = [];
  readonly clientKey: string;
  private readonly switchNs = `dsw-${this.id}`;
  private readonly uplink = `dcp${this.id}`;

  constructor(readonly count: number) {
    execFileSync(KEYGEN, ['-q', '-t', 'ed25519', '-N', '', '-f', join(this.dir, 'client')]);
    this.clientKey = readFileSync(join(this.dir, 'client'), 'utf8');
    writeFileSync(join(this.dir, 'authorized_keys'), readFileSync(join(this.dir, 'client.pub')));
    // Stand-ins for the commands that would stop this machine; each leaves a trace a test may assert on.
    const bin = join(this.dir, 'bin');
    mkdirSync(bin);
    for (const c of ['poweroff', 'reboot', 'halt', 'shutdown', 'systemctl']) {
      writeFileSync(join(bin, c), `#!/bin/sh\necho "$0 $*" >> ${join(this.dir, 'stand-ins.log')}\nexit 0\n`);
      chmodSync(join(bin, c), 0o755);
    }
  }

  /** The controller's address on the segment. */
  get controlAddress(): string {
    return `${this.subnet}.1`;
  }

  async start(): Promise<this> {
    mkdirSync('/run/sshd', { recursive: true, mode: 0o755 });
    ip('netns', 'add', this.switchNs);
    inNs(this.switchNs, 'link', 'add', 'br0', 'type', 'bridge');
    inNs(this.switchNs, 'link', 'set', 'br0', 'up');
    ip('link', 'add', this.uplink, 'type', 'veth', 'peer', 'name', 'cp', 'netns', this.switchNs);
    inNs(this.switchNs, 'link', 'set', 'cp', 'master', 'br0', 'up');
    ip('addr', 'add', `${this.controlAddress}/24`, 'dev', this.uplink);
    ip('link', 'set', this.uplink, 'up');
    for (let i = 0; i < this.count; i++) {
      const h: NetnsHost = {
        name: `nh${i + 1}`,
        address: `${this.subnet}.${10 + i}`,
        ns: `dh-${this.id}-${i}`,
        port: `h${i}`,
      };
      ip('netns', 'add', h.ns);
      inNs(h.ns, 'link', 'set', 'lo', 'up');
      ip('link', 'add', `dh${this.id}${i}`, 'type', 'veth', 'peer', 'name', h.port, 'netns', this.switchNs);
      ip('link', 'set', `dh${this.id}${i}`, 'netns', h.ns);
      inNs(h.ns, 'link', 'set', `dh${this.id}${i}`, 'name', 'eth0');
      inNs(h.ns, 'addr', 'add', `${h.address}/24`, 'dev', 'eth0');
      inNs(h.ns, 'link', 'set', 'eth0', 'up');
      inNs(this.switchNs, 'link', 'set', h.port, 'master', 'br0', 'up');
      execFileSync(KEYGEN, ['-q', '-t', 'ed25519', '-N', '', '-f', join(this.dir, `${h.name}_key`)]);
      this.hosts.push(h);
    }
    await Promise.all(this.hosts.map((h) => this.startSshd(h)));
    return this;
  }

  private async startSshd(h: NetnsHost): Promise<void> {
    const cfg = join(this.dir, `${h.name}.conf`);
    writeFileSync(
      cfg,
      [
        'Port 22',
        `ListenAddress ${h.address}`,
        `HostKey ${join(this.dir, `${h.name}_key`)}`,
        'PidFile none',
        `AuthorizedKeysFile ${join(this.dir, 'authorized_keys')}`,
        'StrictModes no',
        'UsePAM no',
        'PermitRootLogin prohibit-password',
        'PasswordAuthentication no',
        'KbdInteractiveAuthentication no',
        'AllowTcpForwarding yes',
        'ClientAliveInterval 0',
        `SetEnv PATH=${join(this.dir, 'bin')}:/usr/bin:/bin HOME=${this.dir}`,
        '',
      ].join('\n'),
    );
    const proc = spawn(IP, ['netns', 'exec', h.ns, SSHD, '-D', '-e', '-f', cfg], {
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let log = '';
    proc.stderr!.on('data', (c: Buffer) => (log = (log + c.toString()).slice(-4000)));
    h.sshd = proc;
    const deadline = Date.now() + 10_000;
    for (;;) {
      try {
        // The banner, seen from inside the host's own namespace.
        const out = execFileSync(
          IP,
          [
            'netns',
            'exec',
            h.ns,
            'timeout',
            '2',
            'bash',
            '-c',
            'exec 3<>"/dev/tcp/$1/22" && head -c 4 <&3',
            '-',
            h.address,
          ],
          { stdio: ['ignore', 'pipe', 'ignore'] },
        ).toString();
        if (out.startsWith('SSH-')) return;
      } catch {
        // not yet
      }
      if (proc.exitCode !== null || Date.now() > deadline) throw new Error(`sshd of ${h.name} did not start: ${log}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  /**
   * The fleet's power switch as a fence agent (fence-agents convention: key=value lines on stdin, `status` exits 2
   * when off) written into an allow-list directory: `off` pulls the host's link and kills every process in its
   * namespace; `status` is read from outside the host (processes left in its namespace), never from the host itself.
   */
  installFenceAgent(dir: string): void {
    writeFileSync(
      join(dir, 'fence_netns'),
      `#!/bin/bash
set -u
declare -A p
while IFS='=' read -r k v; do [[ -n $k ]] && p[$k]=$v; done
for k in ns switch port; do [[ \${p[$k]:-} =~ ^[a-z0-9-]+$ ]] || { echo "bad $k" >&2; exit 1; }; done
case \${p[action]:-} in
  off)
    ${IP} netns exec "\${p[switch]}" ${IP} link set "\${p[port]}" down || exit 1
    for pid in $(${IP} netns pids "\${p[ns]}"); do kill -9 "$pid" 2>/dev/null; done
    exit 0 ;;
  status)
    [[ -z $(${IP} netns pids "\${p[ns]}") ]] && exit 2
    exit 0 ;;
  *) exit 1 ;;
esac
`,
      { mode: 0o755 },
    );
  }

  /** What registering the host takes (an SSH host reached at its namespace address, fenced by fence_netns). */
  registration(h: NetnsHost, extra: Record<string, unknown> = {}): Record<string, unknown> {
    return {
      name: h.name,
      address: h.address,
      sshPort: 22,
      sshUser: 'root',
      sshPrivateKey: this.clientKey,
      capacity: { cpus: 2, memoryMb: 2048, diskGb: 10 },
      fencing: {
        driver: 'agent',
        agent: 'fence_netns',
        params: { ns: h.ns, switch: this.switchNs, port: h.port },
        timeoutSec: 10,
        sshPoweroff: true,
      },
      ...extra,
    };
  }

  /** The control plane can no longer reach this host (its replies to the controller are dropped); peers still can. */
  cutFromControl(h: NetnsHost): void {
    inNs(h.ns, 'route', 'add', 'blackhole', `${this.controlAddress}/32`);
  }

  healFromControl(h: NetnsHost): void {
    inNs(h.ns, 'route', 'del', 'blackhole', `${this.controlAddress}/32`);
  }

  /** The control plane's own link goes down: it reaches no host, the hosts still reach each other. */
  cutControlPlane(): void {
    ip('link', 'set', this.uplink, 'down');
  }

  healControlPlane(): void {
    ip('link', 'set', this.uplink, 'up');
  }

  /** The host's cable pulled at the switch: it keeps running (sshd and all), nobody reaches it. */
  cutLink(h: NetnsHost): void {
    inNs(this.switchNs, 'link', 'set', h.port, 'down');
  }

  healLink(h: NetnsHost): void {
    inNs(this.switchNs, 'link', 'set', h.port, 'up');
  }

  /**
   * What the switch sends to the host is limited to `rate` (tc's token bucket, e.g. `4mbit`): a long write to it
   * lasts long enough to be cut in the middle. Null: the full speed back.
   */
  limitRate(h: NetnsHost, rate: string | null): void {
    const tc = (action: string, ...qdisc: string[]) =>
      execFileSync(IP, ['netns', 'exec', this.switchNs, TC, 'qdisc', action, 'dev', h.port, 'root', ...qdisc], {
        stdio: ['ignore', 'ignore', 'pipe'],
      });
    if (rate === null) tc('del');
    else tc('replace', 'tbf', 'rate', rate, 'burst', '32kbit', 'latency', '400ms');
  }

  /** A host truly gone: its link down, every process in it (sshd and its sessions) killed. */
  powerOff(h: NetnsHost): void {
    inNs(this.switchNs, 'link', 'set', h.port, 'down');
    this.killAll(h);
  }

  private killAll(h: NetnsHost): void {
    let pids: number[] = [];
    try {
      pids = execFileSync(IP, ['netns', 'pids', h.ns]).toString().split(/\s+/).filter(Boolean).map(Number);
    } catch {
      // no such namespace
    }
    if (h.sshd?.pid) pids.push(h.sshd.pid);
    for (const p of pids)
      try {
        process.kill(p, 'SIGKILL');
      } catch {
        // already gone
      }
    h.sshd = undefined;
  }

  isPoweredOn(h: NetnsHost): boolean {
    return !!h.sshd && h.sshd.exitCode === null && h.sshd.signalCode === null;
  }

  /** What the stand-ins for poweroff/reboot recorded. */
  standIns(): string {
    try {
      return readFileSync(join(this.dir, 'stand-ins.log'), 'utf8');
    } catch {
      return '';
    }
  }

  destroy(): void {
    for (const h of this.hosts) {
      this.killAll(h);
      try {
        ip('netns', 'del', h.ns);
      } catch {
        // never made
      }
    }
    for (const args of [
      ['link', 'del', this.uplink],
      ['netns', 'del', this.switchNs],
    ])
      try {
        ip(...args);
      } catch {
        // never made
      }
    rmSync(this.dir, { recursive: true, force: true });
  }
}
