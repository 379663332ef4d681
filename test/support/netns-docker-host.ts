import { ChildProcess, execFileSync, spawn } from 'node:child_process';
import { randomBytes, randomInt } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SSHD } from './sshd';

const IP = '/usr/sbin/ip';
const KEYGEN = '/usr/bin/ssh-keygen';
const ip = (...args: string[]) => execFileSync(IP, args, { stdio: ['ignore', 'ignore', 'pipe'] });
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * A second database host on this machine: a network namespace of its own (its own addresses, routes and netfilter
 * tables, so its own DOCKER-USER chain) linked to the machine by a veth pair, with its own dockerd (own data root,
 * and a private /run so its socket, exec root and containerd are its own) and a root sshd whose sessions see that
 * dockerd as /var/run/docker.sock, as the platform expects of an SSH host. It shares the machine's filesystem
 * (its data root is a directory of this machine) and programs.
 *
 * The machine forwards between this host's link and the client namespaces (test/support/netns-clients), so a client
 * reaches the host's published ports from outside, through the host's own DNAT and FORWARD. `destroy()` removes
 * everything, the two ACCEPT rules put in the machine's FORWARD chain included.
 */
export class NetnsDockerHost {
  readonly id = randomBytes(3).toString('hex');
  readonly dir = mkdtempSync(join(tmpdir(), 'netns-docker-host-'));
  readonly ns = `ddh-${this.id}`;
  private readonly link = `ddh${this.id}`;
  private readonly net = `10.249.${randomInt(1, 254)}`;
  /** The host's address (its sshd and published ports); the machine is `.1` of the same /24. */
  readonly address = `${this.net}.2`;
  readonly clientKey: string;
  readonly hostKeyFingerprint: string;
  private dockerd?: ChildProcess;
  private sshd?: ChildProcess;
  private log = '';
  private forwardRules: string[][] = [];

  constructor() {
    mkdirSync(join(this.dir, 'run', 'sshd'), { recursive: true, mode: 0o755 });
    mkdirSync(join(this.dir, 'docker'));
    mkdirSync(join(this.dir, 'volumes'));
    for (const k of ['host', 'client'])
      execFileSync(KEYGEN, ['-q', '-t', 'ed25519', '-N', '', '-f', join(this.dir, k)]);
    writeFileSync(join(this.dir, 'authorized_keys'), readFileSync(join(this.dir, 'client.pub')));
    this.clientKey = readFileSync(join(this.dir, 'client'), 'utf8');
    this.hostKeyFingerprint = execFileSync(KEYGEN, ['-l', '-E', 'sha256', '-f', join(this.dir, 'host.pub')])
      .toString()
      .split(' ')[1];
  }

  /** The host's data root for directory volumes. */
  get dataRoot(): string {
    return join(this.dir, 'volumes');
  }

  get socket(): string {
    return join(this.dir, 'run', 'docker.sock');
  }

  /** `docker` against this host's daemon. */
  docker(...args: string[]): string {
    return execFileSync('docker', ['-H', `unix://${this.socket}`, ...args], { stdio: ['ignore', 'pipe', 'pipe'] })
      .toString()
      .trim();
  }

  async start(): Promise<this> {
    ip('netns', 'add', this.ns);
    ip('netns', 'exec', this.ns, IP, 'link', 'set', 'lo', 'up');
    ip('link', 'add', this.link, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', this.ns);
    ip('addr', 'add', `${this.net}.1/24`, 'dev', this.link);
    ip('link', 'set', this.link, 'up');
    ip('netns', 'exec', this.ns, IP, 'addr', 'add', `${this.address}/24`, 'dev', 'eth0');
    ip('netns', 'exec', this.ns, IP, 'link', 'set', 'eth0', 'up');
    ip('netns', 'exec', this.ns, IP, 'route', 'add', 'default', 'via', `${this.net}.1`);
    // The machine routes clients to this host and back; Docker's FORWARD policy drops what it does not know.
    for (const dir of ['-i', '-o']) {
      const rule = ['FORWARD', dir, this.link, '-j', 'ACCEPT'];
      execFileSync('iptables', ['-w', '5', '-I', ...rule]);
      this.forwardRules.push(rule);
    }
    this.dockerd = this.inHost('dockerd', [
      'dockerd',
      '--data-root',
      join(this.dir, 'docker'),
      '--pidfile',
      '/run/docker.pid',
    ]);
    const cfg = join(this.dir, 'sshd.conf');
    writeFileSync(
      cfg,
      [
        'Port 22',
        `ListenAddress ${this.address}`,
        `HostKey ${join(this.dir, 'host')}`,
        'PidFile none',
        `AuthorizedKeysFile ${join(this.dir, 'authorized_keys')}`,
        'StrictModes no',
        'UsePAM no',
        'PermitRootLogin prohibit-password',
        'PasswordAuthentication no',
        'KbdInteractiveAuthentication no',
        'AllowTcpForwarding yes',
        'AllowStreamLocalForwarding yes',
        'ClientAliveInterval 0',
        `SetEnv HOME=${this.dir}`,
        '',
      ].join('\n'),
    );
    this.sshd = this.inHost('sshd', [SSHD, '-D', '-e', '-f', cfg]);
    const deadline = Date.now() + 60_000;
    for (;;) {
      try {
        this.docker('info', '--format', '{{.ServerVersion}}');
        const banner = execFileSync(
          'timeout',
          ['2', 'bash', '-c', 'exec 3<>"/dev/tcp/$1/22" && head -c 4 <&3', '-', this.address],
          { stdio: ['ignore', 'pipe', 'ignore'] },
        ).toString();
        if (banner.startsWith('SSH-')) return this;
      } catch {
        // not yet
      }
      if (Date.now() > deadline) throw new Error(`the netns host did not start:\n${this.log.slice(-3000)}`);
      await sleep(250);
    }
  }

  /**
   * A process inside the host: its network namespace (nsenter, not `ip netns exec`, which would mount a fresh /sys
   * without the cgroup hierarchies dockerd needs) and a private mount namespace whose /run is the host's own.
   */
  private inHost(name: string, argv: string[]): ChildProcess {
    const p = spawn(
      'nsenter',
      [
        `--net=/run/netns/${this.ns}`,
        'unshare',
        '--mount',
        '--propagation',
        'private',
        'sh',
        '-c',
        'mount --bind "$1" /run && shift && exec "$@"',
        '-',
        join(this.dir, 'run'),
        ...argv,
      ],
      { stdio: ['ignore', 'ignore', 'pipe'] },
    );
    p.stderr!.on('data', (c: Buffer) => (this.log = (this.log + `[${name}] ${c.toString()}`).slice(-20_000)));
    return p;
  }

  /** Copies an image from this machine's dockerd (the host cannot reach the machine's 127.0.0.1 registry). */
  loadImage(image: string): void {
    execFileSync(
      'bash',
      ['-c', 'set -o pipefail; docker save "$1" | docker -H "unix://$2" load -q', '-', image, this.socket],
      {
        stdio: ['ignore', 'ignore', 'pipe'],
      },
    );
  }

  /** What registering it takes (an SSH host with a pinned key and a data root of its own). */
  registration(name: string): Record<string, unknown> {
    return {
      name,
      address: this.address,
      sshPort: 22,
      sshUser: 'root',
      sshPrivateKey: this.clientKey,
      hostKeyFingerprint: this.hostKeyFingerprint,
      dataRoot: this.dataRoot,
      capacity: { cpus: 2, memoryMb: 4096, diskGb: 20 },
    };
  }

  /** This host's filter table (its own DOCKER-USER and allow-list chains). */
  iptablesSave(): string {
    return execFileSync('nsenter', [`--net=/run/netns/${this.ns}`, 'iptables-save', '-t', 'filter']).toString();
  }

  async destroy(): Promise<void> {
    try {
      const ids = this.docker('ps', '-aq').split('\n').filter(Boolean);
      if (ids.length) this.docker('rm', '-f', ...ids);
    } catch {
      // no daemon
    }
    this.sshd?.kill('SIGKILL');
    const d = this.dockerd;
    if (d && d.exitCode === null) {
      const exited = new Promise((r) => d.once('exit', r));
      d.kill('SIGTERM');
      await Promise.race([exited, new Promise((r) => setTimeout(r, 20_000).unref())]);
      if (d.exitCode === null) d.kill('SIGKILL');
    }
    for (const rule of this.forwardRules)
      try {
        execFileSync('iptables', ['-w', '5', '-D', ...rule]);
      } catch {
        // gone
      }
    for (const args of [
      ['link', 'del', this.link],
      ['netns', 'del', this.ns],
    ])
      try {
        ip(...args);
      } catch {
        // gone
      }
    rmSync(this.dir, { recursive: true, force: true });
  }
}
