import { BlockList, isIP } from 'node:net';

/**
 * The one loopback rule of the local stack, for socket addresses (who is calling: the admin API's
 * actions) and for host names (what a Host or Origin header names: the edge's DNS-rebinding and
 * cross-site checks). Loopback is 127.0.0.0/8, ::1, and IPv4-mapped 127.0.0.0/8 (::ffff:127.x.y.z,
 * in any spelling node accepts); as a name also `localhost` and any `*.localhost` (RFC 6761 keeps
 * them on this machine; `bucket.localhost` is virtual-hosted S3).
 */

const LOOPBACK = new BlockList();
LOOPBACK.addSubnet('127.0.0.0', 8, 'ipv4');
LOOPBACK.addAddress('::1', 'ipv6');

/** A socket's remote address (`req.socket.remoteAddress`) on this machine's loopback. */
export function isLoopbackAddress(address: string | undefined): boolean {
  if (!address) return false;
  const family = isIP(address);
  if (family === 0) return false;
  // BlockList matches IPv4-mapped IPv6 addresses (::ffff:127.0.0.1, ::ffff:7f00:1) against IPv4 rules.
  return LOOPBACK.check(address, family === 6 ? 'ipv6' : 'ipv4');
}

/** A host name from a Host/Origin header or a URL (IPv6 in brackets or not) that names loopback. */
export function isLoopbackName(hostname: string): boolean {
  const name = hostname
    .toLowerCase()
    .replace(/^\[(.*)\]$/, '$1')
    .replace(/\.$/, '');
  if (name === 'localhost' || name.endsWith('.localhost')) return true;
  return isLoopbackAddress(name);
}
