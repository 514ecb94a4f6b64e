"""Which address a request came from, for the audit log."""

from __future__ import annotations

from ipaddress import ip_address

from bot.console.config import Network


def _trusted(address: str, proxies: tuple[Network, ...]) -> bool:
    try:
        parsed = ip_address(address)
    except ValueError:
        return False
    return any(parsed in network for network in proxies)


def client_address(peer: str | None, forwarded_for: str | None,
                   proxies: tuple[Network, ...]) -> str | None:
    """The peer's address, unless the peer is one of our proxies: then the nearest address
    in X-Forwarded-For that is not ours. Anyone can send the header, so it only counts
    when it reached us through a proxy we named (TCN_CONSOLE_TRUSTED_PROXIES)."""
    if peer is None or not forwarded_for or not _trusted(peer, proxies):
        return peer
    client = peer
    for hop in reversed([part.strip() for part in forwarded_for.split(",")]):
        try:
            ip_address(hop)
        except ValueError:
            break  # garbage further left was not written by a proxy of ours
        client = hop
        if not _trusted(hop, proxies):
            break
    return client
