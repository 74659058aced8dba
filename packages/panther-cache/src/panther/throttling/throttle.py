"""``Throttle(rate, duration)``: how many requests a client may make to an endpoint per window of time.

Windows are aligned to their start on the UTC epoch clock (a window of a minute starts on every whole minute), so
``Retry-After`` never exceeds the window and daylight-saving changes do nothing. Two algorithms:

- **fixed window** (the default): a counter per client and window; exact, one counter per client, and a refused
  client knows exactly when it may come back (the window's end). A client may spend its allowance at the end of
  one window and again at the start of the next: up to ``2 x rate`` within a short span across the boundary.
- **sliding window** (``sliding=True``): the previous window's count, weighted by how much of it still lies
  within the last ``duration``, is added to the current one. That smooths the boundary burst at the cost of an
  approximation (the previous window's requests are assumed evenly spread) and a second counter per client; a
  client that spent the whole allowance at the very start of a window waits up to ``duration + duration / rate``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, NamedTuple

from panther.exceptions import PantherError

if TYPE_CHECKING:
    from panther.base_request import BaseRequest

__all__ = ["Decision", "Throttle", "decide", "retry_after"]


@dataclass(frozen=True)
class Throttle:
    """Allow ``rate`` requests per ``duration`` to each client of an endpoint (``@API(throttling=...)``, a
    ``GenericAPI.throttling`` attribute, or ``THROTTLING`` for every endpoint).

    Allowed answers carry ``X-RateLimit-Limit``, ``-Remaining`` and ``-Reset``; with ``headers=False`` only refusals
    (429) carry them, with ``Retry-After``. Three header lines cost a server more than the counting itself (uvicorn
    checks and copies each line), so an endpoint answering many small requests to clients that ignore them may
    leave them out.

    Each endpoint counts on its own: the bucket is the endpoint's route (``/users/1`` and ``/users/2`` share one)
    plus ``build_cache_key(request)``, the user id for an authenticated request, else the client address. Override
    ``build_cache_key`` in a subclass to count differently (per path, per API key, ...).
    """

    rate: int
    duration: timedelta
    sliding: bool = field(default=False, kw_only=True)
    headers: bool = field(default=True, kw_only=True)

    def __post_init__(self) -> None:
        if isinstance(self.rate, bool) or not isinstance(self.rate, int) or self.rate < 1:
            raise PantherError(f"Throttle: `rate` must be a positive int (requests per duration), got {self.rate!r}.")
        if not isinstance(self.duration, timedelta) or self.duration.total_seconds() <= 0:
            raise PantherError(f"Throttle: `duration` must be a positive timedelta, got {self.duration!r}.")
        if not isinstance(self.sliding, bool) or not isinstance(self.headers, bool):
            raise PantherError("Throttle: `sliding` and `headers` must be True or False.")

    @property
    def seconds(self) -> float:
        return self.duration.total_seconds()

    @property
    def time_window(self) -> datetime:
        """The start of the current window (UTC), as upstream Panther named it."""
        seconds = self.seconds
        return datetime.fromtimestamp(math.floor(datetime.now(UTC).timestamp() / seconds) * seconds, UTC)

    def build_cache_key(self, request: BaseRequest) -> str:
        """Who is counted: ``user:<id>`` for an authenticated request, else ``ip:<client address>`` (read from
        ``X-Forwarded-For`` only when the request came through one of the app's ``TRUSTED_PROXIES``).

        The plugin scopes the key to the endpoint and the window itself.
        """
        from panther.caching.identity import client_identity

        return client_identity(request)


class Decision(NamedTuple):
    """The outcome of one request against its counters."""

    allowed: bool
    remaining: int
    #: When the current window ends (seconds since the epoch).
    reset: int
    #: Seconds to wait before a refused request may succeed (0 when allowed).
    retry_after: int


def decide(count: int, previous: int, rate: int, now: float, seconds: float, window: int, sliding: bool) -> bool:
    """Whether one more request fits: ``count`` requests so far in the current window, ``previous`` in the one
    before (only read when ``sliding``)."""
    used: float = count + 1
    if sliding and previous:
        used += previous * ((window + 1) * seconds - now) / seconds
    return used <= rate


def retry_after(count: int, previous: int, rate: int, now: float, seconds: float, window: int, sliding: bool) -> int:
    """Whole seconds until a refused request would be allowed (at least 1)."""
    end = (window + 1) * seconds
    wait = end - now
    if sliding:
        elapsed = now - window * seconds
        spare = rate - count - 1  # requests the current window still has room for, before the previous one's weight
        if spare > 0 and previous:
            # count + 1 + previous * (1 - (elapsed + t) / seconds) <= rate, within this window
            wait = min(wait, max(0.0, seconds * (1 - spare / previous) - elapsed))
        elif count + 1 > rate:
            # Next window: the current count becomes the previous one, weighted down as that window goes by.
            wait += max(0.0, seconds * (1 - (rate - 1) / count))
    return max(1, math.ceil(wait))
