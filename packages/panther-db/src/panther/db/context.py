"""Which database a query uses: the one of the app serving the current request or lifespan.

Models are defined once at module level but every app has its own database (``app.stash[DB]``), so a class-level
``User.find_one(...)`` asks ``panther.context.current_app()`` for it. Outside a request and a lifespan (a script,
a test body) that is the most recently started app; ``use_app(app)`` selects another one explicitly.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

from panther.context import current_app, reset_current_app, set_current_app
from panther.exceptions import DatabaseError
from panther.stash import StashKey

if TYPE_CHECKING:
    from panther.db.engines.base import BaseDatabaseConnection
    from panther.main import Panther


#: The app's database connection, set by the ``db`` plugin when the app is built.
DB: StashKey[BaseDatabaseConnection] = StashKey("db")


def connection() -> BaseDatabaseConnection:
    """The current app's database connection."""
    try:
        app = current_app()
    except RuntimeError:
        raise DatabaseError("No Panther app is running: build one with Panther(...) before querying models.") from None
    db = app.stash.get(DB)
    if db is None:
        raise DatabaseError(
            "This app has no database: the `db` plugin is disabled (DISABLED_PLUGINS / PANTHER_DISABLE_PLUGINS)."
        )
    return db


@contextmanager
def use_app(app: Panther) -> Iterator[None]:
    """Run model queries against ``app``'s database inside the ``with`` block (scripts, tests, two-app setups)."""
    token = set_current_app(app)
    try:
        yield
    finally:
        reset_current_app(token)
