import { isIP } from 'node:net';
import type { CommandExecutor } from '../../ports';
import { Cidr, CidrFamily, parseAllowedCidrs } from '../../shared/cidr';
import { settleAll } from '../../shared/settle';

/**
 * A database's IP allow-list, enforced on its host in front of the published port (or the VIP), in the filter
 * table's `DOCKER-USER` chain: the chain Docker leaves to its users and jumps to from FORWARD before its own rules.
 *
 * Where it matches. A tenant's connection to `address:port` is rewritten by Docker's DNAT (nat PREROUTING) to the
 * container's own address and port before FORWARD sees it: the published port is gone from the packet, and the
 * container's address changes with every new container. Conntrack keeps the connection as it was first seen, so
 * the jump matches `--ctorigdst address --ctorigdstport port`: stable across restarts, recreations and port-less
 * ordering, and true for no other database (the address and port pair is unique on a host). `--ctdir ORIGINAL`:
 * only the client's direction is judged (replies come from the container's address, never in a list), and every
 * packet of it, not only the first: a source taken off the list loses its open connections too.
 *
 * What it does not see: connections made on the host itself (the platform's own readiness checks, an SSH port
 * forward) go through OUTPUT, never FORWARD, so the allow-list never locks the platform out.
 *
 * One chain per database, `DBA-<20 hex of its id>-<a|b>`: the new list is built in the other generation's chain,
 * the jump swapped and the old chain deleted, all in one `iptables-restore --noflush` (one transaction: nftables'
 * batch, or legacy's table replacement), so a connection never meets a half-written list. In the chain, each
 * allowed source RETURNs (back to DOCKER-USER, then Docker's own rules decide as without a list) and everything else
 * is dropped: no answer, the port looks filtered. An empty list: no chain, no jump (open, as before lists).
 *
 * The published address's family decides the table: iptables for IPv4 (the IPv6 entries can never reach an IPv4
 * address), ip6tables for IPv6. An IPv6 address is published one of two ways: through Docker's userland proxy (a
 * Docker without `ip6tables`, as 20.10 by default, or a container without an IPv6 address: the connection ends on the
 * host itself, in INPUT, and never crosses FORWARD) or through Docker's ip6tables DNAT (FORWARD, and DOCKER-USER when
 * that Docker makes one). So for IPv6 the same chain is jumped to from INPUT, and from DOCKER-USER when the table has
 * it: no DNAT in the way, the original destination is the published one in both. The INPUT jump skips the loopback
 * interface, which carries every connection the host makes to its own addresses: the platform's readiness checks and
 * SSH port forwards still get in, as they do past DOCKER-USER.
 */

export type Generation = 'a' | 'b';

export interface AllowListTarget {
  databaseId: string;
  /** Where Docker publishes the port: the VIP, else the host's address (the DNAT's original destination). */
  address: string;
  port: number;
  /** Canonical CIDRs (see shared/cidr); empty: reachable from anywhere. */
  cidrs: readonly string[];
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
export const CHAIN_PREFIX = 'DBA-';
// iptables chain names hold 28 characters: 4 + 20 + 2. 80 bits of the id tell a host's databases apart.
const CHAIN = /^DBA-([0-9a-f]{20})-([ab])$/;
const TIMEOUT_MS = 15_000;

/** The chain's name without its generation: `DBA-<first 20 hex digits of the id>`. */
export function chainBase(databaseId: string): string {
  if (!UUID.test(databaseId)) throw new Error(`database id is not a uuid: ${JSON.stringify(databaseId)}`);
  return `${CHAIN_PREFIX}${databaseId.replace(/-/g, '').slice(0, 20)}`;
}

export function chainName(databaseId: string, gen: Generation): string {
  return `${chainBase(databaseId)}-${gen}`;
}

/** The family of the published address; refuses a host name (Docker publishes on addresses only). */
export function familyOf(address: string): CidrFamily {
  const v = isIP(address);
  if (v === 4) return 'ipv4';
  if (v === 6 && !address.includes('%')) return 'ipv6';
  throw new Error(`the database is published on ${JSON.stringify(address)}, not an IP address: it cannot be filtered`);
}

function port(p: number): string {
  if (!Number.isInteger(p) || p < 1 || p > 65535) throw new Error(`unsafe port: ${JSON.stringify(p)}`);
  return String(p);
}

/**
 * The jump's match, as this module writes it (and deletes it: `iptables-save` prints `--ctorigdst` without its
 * mask, which iptables-nft 1.8.9 does not read back as the same rule, so a rule is deleted by the spec that made it).
 */
export function jumpSpec(address: string, dstPort: number, chain: string): string {
  const family = familyOf(address);
  if (!CHAIN.test(chain)) throw new Error(`unsafe chain name: ${JSON.stringify(chain)}`);
  const host = `${address}/${family === 'ipv4' ? 32 : 128}`;
  return `-p tcp -m conntrack --ctdir ORIGINAL --ctorigdst ${host} --ctorigdstport ${port(dstPort)} -j ${chain}`;
}

/** The jump as written in `hook` (INPUT: never for the host's own connections, which come in on loopback). */
function hookSpec(hook: Hook, address: string, dstPort: number, chain: string): string {
  return `${hook === 'INPUT' ? '! -i lo ' : ''}${jumpSpec(address, dstPort, chain)}`;
}

/** The chain's rules: one RETURN per allowed source of the family, then DROP. */
export function chainRules(chain: string, cidrs: readonly Cidr[], family: CidrFamily): string[] {
  return [
    ...cidrs.filter((c) => c.family === family).map((c) => `-A ${chain} -s ${c.text} -j RETURN`),
    `-A ${chain} -j DROP`,
  ];
}

export interface Jump {
  address: string;
  port: number;
  chain: string;
}

/** What a host's filter table holds for the allow-lists (from `iptables-save -t filter`). */
export interface FilterState {
  /** Whether DOCKER-USER exists at all (no: Docker does not manage this table, nothing can be filtered). */
  dockerUser: boolean;
  /** Every allow-list chain (`DBA-…`) → its rules' sources in order, and whether it ends in DROP. */
  chains: Map<string, { sources: string[]; drops: boolean }>;
  /** DOCKER-USER's jumps to allow-list chains. */
  jumps: Jump[];
  /** INPUT's jumps to allow-list chains (IPv6: a port Docker's userland proxy publishes). */
  inputJumps: Jump[];
}

type Hook = 'DOCKER-USER' | 'INPUT';

/** The built-in chains that jump to a database's chain, for this table (see the top of this file). */
function hooksFor(state: FilterState, family: CidrFamily): Hook[] {
  if (family === 'ipv6') return state.dockerUser ? ['INPUT', 'DOCKER-USER'] : ['INPUT'];
  if (!state.dockerUser)
    throw new Error(
      'the host has no DOCKER-USER chain: its Docker does not manage the firewall (iptables disabled?), so the published port cannot be filtered',
    );
  return ['DOCKER-USER'];
}

/** Reads `iptables-save -t filter`; a rule of an allow-list chain that is not ours makes the chain "not in place". */
export function parseFilterState(saved: string): FilterState {
  const state: FilterState = { dockerUser: false, chains: new Map(), jumps: [], inputJumps: [] };
  for (const line of saved.split('\n')) {
    const decl = /^:(\S+) /.exec(line);
    if (decl) {
      if (decl[1] === 'DOCKER-USER') state.dockerUser = true;
      else if (CHAIN.test(decl[1])) state.chains.set(decl[1], { sources: [], drops: false });
      continue;
    }
    const rule = /^-A (\S+) (.*)$/.exec(line);
    if (!rule) continue;
    const [, chain, spec] = rule;
    if (chain === 'DOCKER-USER' || chain === 'INPUT') {
      const target = / -j (DBA-[0-9a-f]{20}-[ab])$/.exec(spec)?.[1];
      if (!target) continue;
      const address = /--ctorigdst (\S+?)(?:\/(?:32|128))?(?: |$)/.exec(spec)?.[1] ?? '';
      const dport = Number(/--ctorigdstport (\d+)/.exec(spec)?.[1] ?? NaN);
      (chain === 'INPUT' ? state.inputJumps : state.jumps).push({ address, port: dport, chain: target });
      continue;
    }
    const c = state.chains.get(chain);
    if (!c) continue;
    const source = /^-s (\S+) -j RETURN$/.exec(spec)?.[1];
    if (source && !c.drops) c.sources.push(source);
    else if (spec === '-j DROP' && !c.drops) c.drops = true;
    // Anything else (or anything after the DROP): not what this module writes.
    else c.sources.push(`?${spec}`);
  }
  return state;
}

/** This database's part of the state: its chains and the jumps to them (with the chain each is in). */
function ownedBy(state: FilterState, databaseId: string): { chains: string[]; jumps: (Jump & { hook: Hook })[] } {
  const base = chainBase(databaseId);
  return {
    chains: [...state.chains.keys()].filter((c) => c.startsWith(`${base}-`)),
    jumps: allJumps(state).filter((j) => j.chain.startsWith(`${base}-`)),
  };
}

function allJumps(state: FilterState): (Jump & { hook: Hook })[] {
  return [
    ...state.jumps.map((j) => ({ ...j, hook: 'DOCKER-USER' as const })),
    ...state.inputJumps.map((j) => ({ ...j, hook: 'INPUT' as const })),
  ];
}

/** Whether the table holds exactly what `target` asks for (for `family`). */
export function inPlace(state: FilterState, target: AllowListTarget, family: CidrFamily): boolean {
  const cidrs = parseAllowedCidrs(target.cidrs);
  const own = ownedBy(state, target.databaseId);
  if (!cidrs.length) return own.chains.length === 0 && own.jumps.length === 0;
  // Nothing can be in place where nothing can be filtered (applying says why).
  if (family === 'ipv4' && !state.dockerUser) return false;
  const hooks = hooksFor(state, family);
  if (own.chains.length !== 1 || own.jumps.length !== hooks.length) return false;
  const chain = state.chains.get(own.chains[0])!;
  const want = cidrs.filter((c) => c.family === family).map((c) => c.text);
  return (
    hooks.every((h) => own.jumps.some((j) => j.hook === h)) &&
    own.jumps.every((j) => j.chain === own.chains[0] && j.address === target.address && j.port === target.port) &&
    chain.drops &&
    chain.sources.length === want.length &&
    // iptables-save prints an IPv4 source as given here (network/prefix); IPv6 the same, compressed.
    chain.sources.every((s, i) => s === want[i])
  );
}

/**
 * The `iptables-restore --noflush` input that takes the table from `state` to what `target` asks for, or null when
 * it is there already. Everything of this database that is not the new chain goes in the same transaction.
 */
export function allowListRestore(state: FilterState, target: AllowListTarget, family: CidrFamily): string | null {
  if (inPlace(state, target, family)) return null;
  const cidrs = parseAllowedCidrs(target.cidrs);
  const own = ownedBy(state, target.databaseId);
  const lines = ['*filter'];
  let fresh: string | null = null;
  if (cidrs.length) {
    const hooks = hooksFor(state, family);
    // The generation no jump uses now; the declaration empties the chain should it be left over.
    const current = own.jumps[0]?.chain.endsWith('-a') ? 'a' : own.jumps.length ? 'b' : null;
    fresh = chainName(target.databaseId, current === 'a' ? 'b' : 'a');
    lines.push(`:${fresh} - [0:0]`, ...chainRules(fresh, cidrs, family));
    for (const hook of hooks) lines.push(`-I ${hook} 1 ${hookSpec(hook, target.address, target.port, fresh)}`);
  }
  for (const j of own.jumps) lines.push(`-D ${j.hook} ${hookSpec(j.hook, j.address, j.port, j.chain)}`);
  for (const c of own.chains) if (c !== fresh) lines.push(`-F ${c}`, `-X ${c}`);
  lines.push('COMMIT', '');
  return lines.join('\n');
}

/** The restore input that removes every allow-list chain whose database is not in `keep` (a host's leftovers). */
export function sweepRestore(state: FilterState, keep: readonly string[]): string | null {
  const kept = new Set(keep.map((id) => chainBase(id)));
  const stale = (chain: string) => !kept.has(chain.slice(0, -2));
  const lines = ['*filter'];
  for (const j of allJumps(state).filter((x) => stale(x.chain)))
    lines.push(`-D ${j.hook} ${hookSpec(j.hook, j.address, j.port, j.chain)}`);
  for (const c of [...state.chains.keys()].filter(stale)) lines.push(`-F ${c}`, `-X ${c}`);
  if (lines.length === 1) return null;
  lines.push('COMMIT', '');
  return lines.join('\n');
}

export const allowListCmd = {
  save: (family: CidrFamily) => [family === 'ipv4' ? 'iptables-save' : 'ip6tables-save', '-t', 'filter'],
  // -w: wait for the xtables lock (iptables-legacy hosts); --noflush: only the lines given change the table.
  restore: (family: CidrFamily) => [
    family === 'ipv4' ? 'iptables-restore' : 'ip6tables-restore',
    '-w',
    '5',
    '--noflush',
  ],
};

/** A program that is not there (no iptables on the host): then no rule of ours can be there either. */
function missingProgram(res: { exitCode: number; stderr: string }): boolean {
  return res.exitCode === 127 || /ENOENT|not found|No such file/i.test(res.stderr);
}

function lastLine(text: string): string {
  return text.trim().split('\n').pop()?.slice(0, 300) ?? '';
}

export class IngressAllowList {
  constructor(private readonly exec: CommandExecutor) {}

  private async read(family: CidrFamily, tolerateMissing: boolean): Promise<FilterState | null> {
    const res = await this.exec.run(allowListCmd.save(family), { timeoutMs: TIMEOUT_MS }).catch((e: Error) => ({
      exitCode: -1,
      stdout: '',
      stderr: e.message,
    }));
    if (res.exitCode === 0) return parseFilterState(res.stdout);
    if (tolerateMissing && missingProgram(res)) return null;
    throw new Error(`${allowListCmd.save(family)[0]} exited with ${res.exitCode}: ${lastLine(res.stderr)}`);
  }

  private async restore(family: CidrFamily, input: string): Promise<void> {
    const res = await this.exec.run(allowListCmd.restore(family), { timeoutMs: TIMEOUT_MS, input });
    if (res.exitCode !== 0)
      throw new Error(`${allowListCmd.restore(family)[0]} exited with ${res.exitCode}: ${lastLine(res.stderr)}`);
  }

  /**
   * Makes the host filter the database's published port as `target` says (an empty list: removes its filter).
   * Idempotent: nothing is written when the table already holds it. Returns whether something changed.
   */
  async apply(target: AllowListTarget): Promise<boolean> {
    const family = familyOf(target.address);
    const state = await this.read(family, target.cidrs.length === 0);
    if (!state) return false;
    const input = allowListRestore(state, target, family);
    if (!input) return false;
    await this.restore(family, input);
    return true;
  }

  /** Whether the host's table holds what `target` asks for; throws when it cannot be read. */
  async check(target: AllowListTarget): Promise<boolean> {
    const family = familyOf(target.address);
    const state = await this.read(family, target.cidrs.length === 0);
    return state ? inPlace(state, target, family) : true;
  }

  /**
   * Both families' tables, for cleaning up: a host without IPv6 filtering (no ip6tables, no module) has nothing of
   * ours there, so only the IPv4 table must be readable.
   */
  private async readForCleanup(family: CidrFamily): Promise<FilterState | null> {
    return family === 'ipv4' ? this.read(family, true) : this.read(family, true).catch(() => null);
  }

  /** Removes the database's filter from the host (deleted, moved or failed over away). */
  async remove(databaseId: string): Promise<void> {
    // The two tables are apart: read (and mended) side by side, on the path of every start without a list.
    await settleAll(
      (['ipv4', 'ipv6'] as const).map(async (family) => {
        const state = await this.readForCleanup(family);
        const input = state && allowListRestore(state, { databaseId, address: '', port: 0, cidrs: [] }, family);
        if (input) await this.restore(family, input);
      }),
    );
  }

  /** Removes the filters of every database not in `keep` (those that left while the host was cut off). */
  async sweep(keep: readonly string[]): Promise<void> {
    for (const family of ['ipv4', 'ipv6'] as const) {
      const state = await this.readForCleanup(family);
      const input = state && sweepRestore(state, keep);
      if (input) await this.restore(family, input);
    }
  }
}
