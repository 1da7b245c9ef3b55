"""Whether an IP address is inside our own network, for partners' webhooks: a partner's URL must
never become a way into the services, the broker's API or a cloud's metadata endpoint.

An address is internal when it is not globally reachable (private, loopback, link-local, shared,
reserved…) or is multicast. IPv6 forms that carry an IPv4 address are judged by the IPv4 address
they carry too, for a NAT64 gateway, a 6to4 relay or the host's own stack would deliver them there:
- IPv4-mapped `::ffff:a.b.c.d` and IPv4-compatible `::a.b.c.d`;
- NAT64 well-known prefix `64:ff9b::/96` (RFC 6052), the IPv4 address in the last 32 bits;
- 6to4 `2002::/16` (RFC 3056), the IPv4 address in bits 16-47;
- Teredo `2001::/32` (RFC 4380): its server and client IPv4 addresses.
`64:ff9b:1::/48` (RFC 8215) is the local-use NAT64 prefix: where the IPv4 address sits depends on
the operator's prefix length, and IANA marks the block not globally reachable, so it is refused
whole. An address that Python's `ipaddress` already judges internal stays internal.
"""

from __future__ import annotations

import ipaddress

NAT64_WELL_KNOWN = ipaddress.ip_network("64:ff9b::/96")
NAT64_LOCAL_USE = ipaddress.ip_network("64:ff9b:1::/48")
IPV4_COMPATIBLE = ipaddress.ip_network("::/96")


def carried_ipv4(address: ipaddress.IPv6Address) -> list[ipaddress.IPv4Address]:
    """The IPv4 addresses an IPv6 address carries (none for a plain IPv6 address)."""
    low32 = ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    if address.ipv4_mapped is not None:
        return [address.ipv4_mapped]
    if address in NAT64_WELL_KNOWN or address in IPV4_COMPATIBLE:
        return [low32]
    if address.sixtofour is not None:
        return [address.sixtofour]
    if address.teredo is not None:
        return list(address.teredo)
    return []


def is_internal(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    if not address.is_global or address.is_multicast:
        return True
    if isinstance(address, ipaddress.IPv6Address):
        if address in NAT64_LOCAL_USE:
            return True
        return any(is_internal(inner) for inner in carried_ipv4(address))
    return False


def internal_address(addresses: list[str]) -> str | None:
    """The first of `addresses` (as the resolver gives them, a zone `%eth0` aside) that is internal,
    else None. For the operator's log only: a partner is never told which address it was."""
    for text in addresses:
        address = ipaddress.ip_address(text.split("%")[0])
        if is_internal(address):
            return str(address)
    return None
