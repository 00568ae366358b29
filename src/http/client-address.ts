import ipaddr from "ipaddr.js";
import { isIP } from "node:net";

// The client as the per-address limits (LOGIN_RATE, REGISTER_RATE) count it.
// One host can send from both `10.4.0.1` and its IPv4-mapped form
// `::ffff:10.4.0.1` (a dual-stack socket, or a proxy that writes either),
// and one IPv6 subscriber is routinely given a whole /64 (RFC 6177): an
// address per try would give each try a counter of its own. So a mapped
// address counts as its IPv4 address, and an IPv6 address as its network of
// IPV6_PREFIX bits.

/**
 * The key of `address` for per-address limits: an IPv4 address (mapped ones
 * unwrapped) as itself, an IPv6 address as `network/prefix` (the address
 * itself at 128). Anything else is returned unchanged: ipaddr.js would also
 * read forms such as `010.4.0.1` (octal: 8.4.0.1) that Node does not take
 * for addresses, so only what node:net calls an address is parsed.
 */
export function clientKey(address: string, ipv6Prefix: number): string {
  if (isIP(address) === 0) return address;
  // process() unwraps an IPv4-mapped IPv6 address.
  const ip = ipaddr.process(address);
  if (ip.kind() === "ipv4") return ip.toString();
  if (ipv6Prefix === 128) return ip.toString();
  return `${ipaddr.IPv6.networkAddressFromCIDR(`${ip.toString()}/${ipv6Prefix}`).toString()}/${ipv6Prefix}`;
}
