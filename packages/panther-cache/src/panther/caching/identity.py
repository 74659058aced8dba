"""Who a request comes from, for throttle buckets and cache keys: the user, else the client's address.

Behind a reverse proxy every request arrives from the proxy's address; the client's is in ``X-Forwarded-For``,
which anyone can also send. So it is read only from requests whose direct peer is one of ``TRUSTED_PROXIES``
(addresses or networks, or ``"*"``): walking the header from the right, the first address that is not a trusted
proxy is the client (what the nearest trusted proxy saw), and the hops a client wrote itself are never reached.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any

from panther.exceptions import PantherError

if TYPE_CHECKING:
    from panther.base_request import BaseRequest

__all__ = ["Identity", "TrustedProxies", "client_identity", "make_identity"]

Identity = Callable[["BaseRequest"], str]

_FORWARDED_FOR = b"x-forwarded-for"
Network = ipaddress.IPv4Network | ipaddress.IPv6Network


class TrustedProxies:
    """``TRUSTED_PROXIES``: the peers whose ``X-Forwarded-For`` is believed."""

    __slots__ = ("any", "networks")

    def __init__(self, setting: str | Iterable[str] | None) -> None:
        if setting is None:
            setting = []
        elif isinstance(setting, str):  # "10.0.0.1, 10.0.0.2" as uvicorn's --forwarded-allow-ips takes it
            setting = [part for part in setting.split(",")]
        elif not isinstance(setting, (list, tuple, set, frozenset)):
            raise PantherError(
                f"TRUSTED_PROXIES must be a list of proxy addresses or networks (or '*'), got {setting!r}."
            )
        values = [str(item).strip() for item in setting if str(item).strip()]
        self.any = "*" in values
        self.networks: tuple[Network, ...] = tuple(_network(value) for value in values if value != "*")

    def __bool__(self) -> bool:
        return self.any or bool(self.networks)

    def __contains__(self, address: object) -> bool:
        if self.any:
            return True
        try:
            ip = ipaddress.ip_address(str(address))
        except ValueError:
            return False
        return any(ip in network for network in self.networks)

    def client_address(self, peer: str | None, forwarded: list[bytes]) -> str | None:
        """The client's address given the direct ``peer`` and the raw ``X-Forwarded-For`` header values."""
        if peer is None or peer not in self or not forwarded:
            return peer
        hops = [hop.strip() for value in forwarded for hop in value.decode("latin-1").split(",")]
        hops = [hop for hop in hops if hop]
        for hop in reversed(hops):
            if hop not in self:
                return hop
        return hops[0] if hops else peer


def _network(value: str) -> Network:
    try:
        return ipaddress.ip_network(value, strict=False)
    except ValueError:
        raise PantherError(f"TRUSTED_PROXIES: {value!r} is not an IP address or network (e.g. '10.0.0.0/8').") from None


def make_identity(proxies: TrustedProxies) -> Identity:
    """``identity(request)``: ``user:<id>`` for an authenticated request, else ``ip:<address>``."""

    if not proxies:

        def identity(request: BaseRequest) -> str:
            user = request.user
            if user is not None:
                return f"user:{_user_id(user)}"
            try:  # every request of a throttled endpoint comes here: the usual case first, without lookups
                return "ip:" + request.scope["client"][0]
            except (KeyError, TypeError, IndexError):  # no client (optional in ASGI) or None
                return "ip:-"

        return identity

    def identity_behind_proxies(request: BaseRequest) -> str:
        user = request.user
        if user is not None:
            return f"user:{_user_id(user)}"
        client = request.scope.get("client")
        forwarded = [value for name, value in request.scope.get("headers") or () if name == _FORWARDED_FOR]
        address = proxies.client_address(client[0] if client else None, forwarded)
        return f"ip:{address or '-'}"

    return identity_behind_proxies


def _user_id(user: Any) -> Any:
    return getattr(user, "id", user)


_DIRECT = make_identity(TrustedProxies(None))


def client_identity(request: BaseRequest) -> str:
    """The identity of ``request`` with its app's ``TRUSTED_PROXIES`` (none when the plugin is not active)."""
    from panther.caching.state import STATE

    app = request.app
    state = app.stash.get(STATE) if app is not None else None
    return (state.identity if state is not None else _DIRECT)(request)
