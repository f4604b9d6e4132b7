/**
 * Which client addresses may connect: single addresses and CIDR ranges, IPv4 and IPv6,
 * checked before any byte is read. Built on node's own BlockList.
 */
import { BlockList, isIP } from "node:net";

export class AllowList {
  private readonly list = new BlockList();

  /** @param entries addresses ("10.0.0.5", "::1") and ranges ("10.0.0.0/8", "fd00::/8") */
  constructor(entries: readonly string[]) {
    for (const entry of entries) {
      const [addr, bits, extra] = entry.split("/");
      const family = isIP(addr);
      if (family === 0 || extra !== undefined) throw new TypeError(`allow: ${JSON.stringify(entry)} is not an IP address or CIDR range`);
      const type = family === 4 ? "ipv4" : "ipv6";
      if (bits === undefined) {
        this.list.addAddress(addr, type);
      } else {
        const prefix = Number(bits);
        if (!Number.isInteger(prefix) || prefix < 0 || prefix > (family === 4 ? 32 : 128)) {
          throw new TypeError(`allow: ${JSON.stringify(entry)} has an invalid prefix length`);
        }
        this.list.addSubnet(addr, prefix, type);
      }
    }
  }

  /** True when `address` (as a socket reports it) is allowed. */
  allows(address: string | undefined): boolean {
    if (!address) return false;
    // An IPv4 client on a dual-stack socket shows up as ::ffff:a.b.c.d.
    const mapped = address.startsWith("::ffff:") && isIP(address.slice(7)) === 4 ? address.slice(7) : address;
    const family = isIP(mapped);
    if (family === 0) return false;
    return this.list.check(mapped, family === 4 ? "ipv4" : "ipv6");
  }
}
