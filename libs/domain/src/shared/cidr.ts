import { ValidateBy } from 'class-validator';
import ipaddr from 'ipaddr.js';

/**
 * The source networks allowed to reach a database (its IP allow-list). Each entry is a CIDR in its one canonical
 * form: the network address (no host bits), lowercase IPv6 compressed as RFC 5952 says, an explicit prefix. What a
 * tenant sends is what is stored and what reaches iptables, so a value is refused rather than rewritten: the
 * tenant sees at once that `10.1.0.0/8` means all of 10/8.
 */

/** At most this many entries per database: each is one rule every new connection to it walks through. */
export const MAX_ALLOWED_CIDRS = 64;

export type CidrFamily = 'ipv4' | 'ipv6';

export interface Cidr {
  text: string;
  family: CidrFamily;
  prefix: number;
}

// Before any parsing: only what a canonical CIDR can hold (no zone id, no spaces, no hex/octal IPv4 forms).
const CIDR_CHARS = /^[0-9a-f.:]{2,39}\/[0-9]{1,3}$/;

/** The entry parsed, or why it is refused (naming the canonical form when there is one). */
export function parseCidr(value: unknown): { cidr: Cidr } | { problem: string } {
  if (typeof value !== 'string') return { problem: 'must be a string such as 203.0.113.0/24 or 2001:db8::/32' };
  const shown = JSON.stringify(value.slice(0, 60));
  if (value.includes('%')) return { problem: `${shown} names an interface zone: only global networks are accepted` };
  if (!value.includes('/'))
    return {
      problem: `${shown} has no prefix length: write ${ipaddr.isValid(value) ? `${value}/${value.includes(':') ? 128 : 32}` : 'address/prefix'} for one address`,
    };
  // ipaddr.js also reads the inet_aton forms (010 is octal 8, 10.1 is 10.0.0.1): only dotted decimal here.
  if (!value.includes(':') && !ipaddr.IPv4.isValidCIDRFourPartDecimal(value))
    return { problem: `${shown} is not an IPv4 CIDR in dotted decimal (e.g. 203.0.113.0/24)` };
  let addr: ipaddr.IPv4 | ipaddr.IPv6;
  let prefix: number;
  try {
    [addr, prefix] = ipaddr.parseCIDR(value);
  } catch {
    return { problem: `${shown} is not an IPv4 or IPv6 CIDR (e.g. 203.0.113.0/24, 2001:db8::/32)` };
  }
  if (addr.kind() === 'ipv6' && (addr as ipaddr.IPv6).isIPv4MappedAddress())
    return { problem: `${shown} is an IPv4-mapped IPv6 address: write the IPv4 network itself` };
  const network =
    addr.kind() === 'ipv4' ? ipaddr.IPv4.networkAddressFromCIDR(value) : ipaddr.IPv6.networkAddressFromCIDR(value);
  const canonical = `${network.toString()}/${prefix}`;
  if (!CIDR_CHARS.test(value) || canonical !== value) {
    const sameNetwork = addr.toString() === network.toString();
    return {
      problem: sameNetwork
        ? `${shown} is not in canonical form: write ${canonical}`
        : `${shown} has host bits set: the network is ${canonical}`,
    };
  }
  return { cidr: { text: value, family: addr.kind(), prefix } };
}

/** Every problem of an allow-list (empty: valid), each naming the entry. */
export function allowedCidrsProblems(list: unknown): string[] {
  if (!Array.isArray(list)) return ['allowedCidrs must be an array of CIDRs (empty: reachable from anywhere)'];
  if (list.length > MAX_ALLOWED_CIDRS)
    return [`allowedCidrs has ${list.length} entries; at most ${MAX_ALLOWED_CIDRS}: merge networks into wider ones`];
  const problems: string[] = [];
  const seen = new Set<string>();
  list.forEach((v, i) => {
    const parsed = parseCidr(v);
    if ('problem' in parsed) problems.push(`allowedCidrs[${i}]: ${parsed.problem}`);
    else if (seen.has(parsed.cidr.text)) problems.push(`allowedCidrs[${i}]: ${parsed.cidr.text} is listed twice`);
    else seen.add(parsed.cidr.text);
  });
  return problems;
}

/** The allow-list as parsed entries; throws on any problem (values reaching iptables are checked again here). */
export function parseAllowedCidrs(list: readonly string[]): Cidr[] {
  const problems = allowedCidrsProblems(list);
  if (problems.length) throw new Error(`unsafe allow-list: ${problems.join('; ')}`);
  return list.map((v) => (parseCidr(v) as { cidr: Cidr }).cidr);
}

export const IsAllowedCidrs = () =>
  ValidateBy({
    name: 'isAllowedCidrs',
    validator: {
      validate: (v: unknown) => allowedCidrsProblems(v).length === 0,
      defaultMessage: (args) => allowedCidrsProblems(args?.value).join('; '),
    },
  });
