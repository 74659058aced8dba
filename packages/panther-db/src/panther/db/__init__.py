"""Document models and databases for Panther (distribution ``panther-db``, plugin ``db``).

``from panther.db import Model``; see ``panther.db.models`` for fields, ``panther.db.queries`` for the query API
and ``panther.db.connections`` for the engines.
"""

from panther.db.context import use_app
from panther.db.cursor import Cursor
from panther.db.ids import ID
from panther.db.models import BaseUser, Model

__all__ = ["ID", "BaseUser", "Cursor", "Model", "use_app"]
