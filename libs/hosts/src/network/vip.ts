import type { CommandExecutor, CommandResult } from '@app/domain/ports';

/**
 * Floating service addresses (VIPs) on a host's interface: `ip addr` to hold or drop one, and a gratuitous ARP
 * so that neighbours and switches learn at once which MAC the address now lives at.
 */

const OCTET = '(?:25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])';
const IPV4 = new RegExp(`^${OCTET}(?:\\.${OCTET}){3}$`);
const IFACE = /^[a-zA-Z0-9_.-]{1,15}$/;

export function vipAddress(ip: string): string {
  if (typeof ip !== 'string' || !IPV4.test(ip)) throw new Error(`unsafe IPv4 address: ${JSON.stringify(ip)}`);
  return ip;
}

export function vipPrefixLen(len: number): number {
  if (!Number.isInteger(len) || len < 8 || len > 32) throw new Error(`unsafe prefix length: ${JSON.stringify(len)}`);
  return len;
}

/** A network interface name as the kernel allows it (IFNAMSIZ), without a leading '-' and not '.' or '..'. */
export function ifaceName(iface: string): string {
  if (typeof iface !== 'string' || !IFACE.test(iface) || iface.startsWith('-') || iface === '.' || iface === '..')
    throw new Error(`unsafe interface name: ${JSON.stringify(iface)}`);
  return iface;
}

const cidr = (ip: string, len: number) => `${vipAddress(ip)}/${vipPrefixLen(len)}`;

export const vipCmd = {
  show: (iface: string) => ['ip', '-o', '-4', 'addr', 'show', 'dev', ifaceName(iface)],
  add: (ip: string, prefixLen: number, iface: string) => [
    'ip',
    'addr',
    'add',
    cidr(ip, prefixLen),
    'dev',
    ifaceName(iface),
  ],
  del: (ip: string, prefixLen: number, iface: string) => [
    'ip',
    'addr',
    'del',
    cidr(ip, prefixLen),
    'dev',
    ifaceName(iface),
  ],
  /**
   * Two unsolicited (gratuitous) ARP requests for `ip`, within 3 s. The hosts run the Debian `arping` package
   * (Thomas Habets' arping), which takes -I as iputils' arping does (its own spelling is -i); both exit 1 here as
   * nobody answers an unsolicited ARP.
   */
  arping: (ip: string, iface: string) => [
    'arping',
    '-q',
    '-U',
    '-c',
    '2',
    '-w',
    '3',
    '-I',
    ifaceName(iface),
    vipAddress(ip),
  ],
};

/** `ip addr add` of an address the interface already has (exit 2). */
export function isAddrExists(stderr: string): boolean {
  return /File exists|Address already assigned/i.test(stderr);
}

/** `ip addr del` of an address the interface does not have (exit 2). */
export function isAddrMissing(stderr: string): boolean {
  return /Cannot assign requested address/i.test(stderr);
}

/** The IPv4 addresses, with their prefix lengths, in `ip -o -4 addr show` output. */
export function parseIpv4Cidrs(output: string): { address: string; prefixLen: number }[] {
  const out: { address: string; prefixLen: number }[] = [];
  for (const line of output.split('\n')) {
    const m = /\sinet\s+(\d{1,3}(?:\.\d{1,3}){3})\/(\d{1,2})\s/.exec(`${line} `);
    if (m && IPV4.test(m[1])) out.push({ address: m[1], prefixLen: Number(m[2]) });
  }
  return out;
}

/** The IPv4 addresses in `ip -o -4 addr show` output, e.g. ['10.99.0.11']. */
export function parseIpv4Addrs(output: string): string[] {
  return parseIpv4Cidrs(output).map((c) => c.address);
}

const TIMEOUT_MS = 15_000;

async function check(exec: CommandExecutor, argv: string[], ok: number[] = []): Promise<CommandResult> {
  const res = await exec.run(argv, { timeoutMs: TIMEOUT_MS });
  if (res.exitCode !== 0 && !ok.includes(res.exitCode))
    throw new Error(`${argv[0]} exited with ${res.exitCode}: ${res.stderr.trim().split('\n').pop() ?? ''}`);
  return res;
}

export class HostVip {
  constructor(private readonly exec: CommandExecutor) {}

  /** Whether `iface` holds `ip` (with any prefix length). A missing interface is an error. */
  async has(ip: string, iface: string): Promise<boolean> {
    vipAddress(ip);
    return parseIpv4Addrs((await check(this.exec, vipCmd.show(iface))).stdout).includes(ip);
  }

  /**
   * Adds ip/prefixLen to `iface` (an address already there is fine), then announces it by gratuitous ARP, every
   * time: a repeated add repairs stale ARP caches. The ARP is best effort; its result is not looked at.
   */
  async add(ip: string, prefixLen: number, iface: string): Promise<void> {
    const argv = vipCmd.add(ip, prefixLen, iface);
    const announce = vipCmd.arping(ip, iface);
    const res = await check(this.exec, argv, [2]);
    if (res.exitCode === 2 && !isAddrExists(res.stderr))
      throw new Error(`ip exited with 2: ${res.stderr.trim().split('\n').pop() ?? ''}`);
    // Not waited for (two ARPs a second apart; a takeover's start must not wait on them): best effort, the address
    // is up, and neighbours learn it on their next ARP request at the latest.
    void this.exec.run(announce, { timeoutMs: TIMEOUT_MS }).catch(() => undefined);
  }

  /**
   * Removes ip/prefixLen from `iface` (an address not there is fine). The kernel only deletes an exact match of
   * the prefix length, so entries of the same address with another prefix are removed as well.
   */
  async remove(ip: string, prefixLen: number, iface: string): Promise<void> {
    await this.del(ip, prefixLen, iface);
    const rest = parseIpv4Cidrs((await check(this.exec, vipCmd.show(iface))).stdout).filter((c) => c.address === ip);
    for (const c of rest) await this.del(ip, c.prefixLen, iface);
  }

  private async del(ip: string, prefixLen: number, iface: string): Promise<void> {
    const res = await check(this.exec, vipCmd.del(ip, prefixLen, iface), [2]);
    if (res.exitCode === 2 && !isAddrMissing(res.stderr))
      throw new Error(`ip exited with 2: ${res.stderr.trim().split('\n').pop() ?? ''}`);
  }
}
