"""Response caching for Panther (distribution ``panther-cache``, plugin ``cache``).

``@API(cache=timedelta(minutes=1))`` (or a ``GenericAPI.cache`` attribute) keeps an endpoint's GET responses for
that long, per route, path variables, query string and user; see ``panther.caching.step``. The ``CACHE`` setting
chooses the store and bounds it (``panther.caching.settings``).
"""

from panther.caching.settings import CacheSettings
from panther.caching.store import CachedResponse

__all__ = ["CacheSettings", "CachedResponse"]
