"""``Model`` (a pydantic model stored as a document) and ``BaseUser`` (a model with a hashed password).

``class Book(Model): title: str; author: User`` stores books in the ``Book`` collection (the class name; set
``__collection__`` to choose another). ``id`` is the document id as a string (an ObjectId on MongoDB, a string on
PantherDB); fields may be anything pydantic validates, plus references to other models (stored as their id) and
``File``/``Image`` (saved under ``MEDIA_DIR``). The query API comes from ``panther.db.queries.Query``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any, ClassVar, Self

from panther.db.context import connection
from panther.db.filters import merge_filter
from panther.db.ids import ID
from panther.db.passwords import hash_password, verify_password, verify_password_hash
from panther.db.queries import Query
from panther.utils import timezone_now

__all__ = ["ID", "BaseUser", "Model"]


class Model(Query):
    """A document model. Subclass it and declare fields; query with ``await MyModel.find_one(...)`` etc."""

    id: ID = None

    @property
    def _id(self) -> Any:
        """The id as the current engine stores it (an ``ObjectId`` on MongoDB, a string on PantherDB)."""
        return None if self.id is None else connection().native_id(self.id)


class BaseUser(Model):
    """The default user model (``USER_MODEL``): subclass it to add fields.

    ``password`` holds a hash, never the password: set it with ``await user.set_password(...)``, test it with
    ``user.check_password(...)`` (a plain ``bool``, as upstream's) or, in async code, with
    ``await user.acheck_password(...)``, which runs the deliberately slow hash off the event loop. Both compare in
    constant time. ``is_staff`` (default ``False``) lets the user into the admin panel.
    """

    USERNAME_FIELD: ClassVar[str] = "username"

    username: str
    password: str = ""
    last_login: datetime | None = None
    date_created: datetime | None = None
    #: May use the admin panel (panther-panel); ``panther createuser --staff`` sets it.
    is_staff: bool = False

    @classmethod
    async def insert_one(cls, _document: Mapping[str, Any] | None = None, /, **kwargs: Any) -> Self:
        data = merge_filter(_document, kwargs)
        data.setdefault("date_created", timezone_now())
        return await super().insert_one(data)

    @classmethod
    async def insert_many(cls, documents: Iterable[Mapping[str, Any]]) -> list[Self]:
        now = timezone_now()
        return await super().insert_many([{"date_created": now, **document} for document in documents])

    async def set_password(self, password: str) -> None:
        """Hash ``password`` into ``self.password``, and store it if the user is saved."""
        hashed = await hash_password(password)
        if self.id is None:
            self.password = hashed
        else:
            await self.update(password=hashed)

    def check_password(self, password: str) -> bool:
        """Whether ``password`` is the user's: synchronous, as upstream's (``if user.check_password(pw):``).

        It blocks for the hash's tens of milliseconds; async code should ``await user.acheck_password(pw)``.
        """
        return verify_password_hash(password, self.password)

    async def acheck_password(self, password: str) -> bool:
        """``check_password`` run in a worker thread, so the event loop keeps serving meanwhile."""
        return await verify_password(password, self.password)

    # Tokens, as upstream: the app's AUTHENTICATION class issues and revokes them (panther-auth's JWT classes).

    async def login(self) -> dict[str, str]:
        """Stamp ``last_login`` and return ``{"access_token", "refresh_token"}`` (``AUTHENTICATION.login``)."""
        authentication = _authentication("login")
        await self.update(last_login=timezone_now())
        return await authentication.login(user=self)

    async def refresh_tokens(self) -> dict[str, str]:
        """A new pair of tokens for the refresh token this user was authenticated with (``AUTHENTICATION.refresh``)."""
        return await _authentication("refresh").refresh(user=self)

    async def logout(self) -> Any:
        """Revoke the tokens this user was authenticated with (``AUTHENTICATION.logout``)."""
        return await _authentication("logout").logout(user=self)


def _authentication(method: str) -> Any:
    """The current app's ``AUTHENTICATION`` class, which must have ``method`` (``login``, ``refresh``, ``logout``)."""
    from panther.context import current_app
    from panther.exceptions import PantherError
    from panther.importing import import_object

    authentication = current_app().config.AUTHENTICATION
    if isinstance(authentication, str):
        authentication = import_object(authentication, "AUTHENTICATION")
    if getattr(authentication, method, None) is None:
        raise PantherError(
            f"BaseUser uses AUTHENTICATION.{method}(user), but AUTHENTICATION is {authentication!r}: set "
            "AUTHENTICATION = 'panther.authentications.JWTAuthentication' (panther-auth) in your configs."
        )
    return authentication
