// Source address allow-list of a door (--downlink-allow CIDR[,CIDR]): IPv4
// and IPv6 ranges in node:net's BlockList; an IPv4-mapped IPv6 peer
// (::ffff:a.b.c.d, what a dual-stack listener reports) is judged as IPv4.
import { BlockList, isIP } from 'node:net';

export interface SourceAllowList {
  /** True when the peer address lies in one of the ranges. */
  allows(address: string | undefined): boolean;
}

const MAPPED_V4 = /^::ffff:(\d{1,3}(?:\.\d{1,3}){3})$/i;

/** `10.0.0.0/8`, `fd00::/8`, or a single address (`10.1.2.3` = /32, `::1` = /128). */
function addEntry(list: BlockList, entry: string): string | undefined {
  const slash = entry.indexOf('/');
  const address = slash === -1 ? entry : entry.slice(0, slash);
  const version = isIP(address);
  if (version === 0) return `"${entry}" is not an IPv4 or IPv6 address or CIDR range`;
  const max = version === 4 ? 32 : 128;
  const prefixText = slash === -1 ? String(max) : entry.slice(slash + 1);
  const prefix = Number(prefixText);
  if (!/^\d{1,3}$/.test(prefixText) || prefix > max) return `"${entry}": the prefix length must be 0 to ${max}`;
  list.addSubnet(address, prefix, version === 4 ? 'ipv4' : 'ipv6');
  return undefined;
}

/** The ranges as an allow-list, or the problems with the entries (one line each). An empty list allows any address. */
export function parseSourceAllowList(entries: readonly string[]): { list: SourceAllowList | undefined; problems: string[] } {
  if (entries.length === 0) return { list: undefined, problems: [] };
  const blocks = new BlockList();
  const problems: string[] = [];
  for (const entry of entries) {
    const problem = addEntry(blocks, entry);
    if (problem !== undefined) problems.push(problem);
  }
  if (problems.length > 0) return { list: undefined, problems };
  return {
    problems,
    list: {
      allows(address) {
        if (address === undefined) return false;
        const mapped = MAPPED_V4.exec(address);
        if (mapped !== null) return blocks.check(mapped[1], 'ipv4');
        const version = isIP(address);
        return version !== 0 && blocks.check(address, version === 4 ? 'ipv4' : 'ipv6');
      },
    },
  };
}
