"""Throttling for Panther (distribution ``panther-cache``, plugin ``cache``).

``@API(throttling=Throttle(rate=10, duration=timedelta(minutes=1)))``, a ``GenericAPI.throttling`` attribute, or
``THROTTLING = Throttle(...)`` in configs for every endpoint (an endpoint's own throttle replaces it;
``throttling=False`` turns it off for one endpoint).
"""

from panther.throttling.throttle import Throttle

__all__ = ["Throttle"]
