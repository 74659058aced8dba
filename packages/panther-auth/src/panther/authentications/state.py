"""What the ``auth`` plugin prepares for each app (``app.stash[AUTH]``): its JWT settings, its token codec, its
revocation store and how it loads users. Built once when the app is built; two apps never share any of it."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from panther.authentications.config import JWTConfig
from panther.authentications.revocation import RevocationStore
from panther.authentications.tokens import Tokens
from panther.context import current_app
from panther.exceptions import PantherError
from panther.stash import StashKey

if TYPE_CHECKING:
    from panther.main import Panther

__all__ = ["AUTH", "AuthState", "auth_state"]

UserLoader = Callable[[Any], Awaitable[Any]]

NO_KEY = "JWT authentication needs a key: set SECRET_KEY (the JWT key is derived from it) or JWT_CONFIG['key']."
NO_USERS = (
    "JWT authentication needs to load users: install panther-db (users are USER_MODEL, `pip install "
    "'panther-auth[db]'`), or set JWT_CONFIG['user_loader'] to `async def load_user(user_id) -> user | None`."
)


@dataclass(slots=True)
class AuthState:
    """One app's authentication objects."""

    config: JWTConfig | None
    revocations: RevocationStore
    user_loader: UserLoader | None
    tokens: Tokens | None = None

    def __post_init__(self) -> None:
        if self.config is not None:
            self.tokens = Tokens(self.config)

    def jwt(self) -> Tokens:
        """The token codec; a ``PantherError`` when the app has no JWT key."""
        if self.tokens is None:
            raise PantherError(NO_KEY)
        return self.tokens

    def loader(self) -> UserLoader:
        if self.user_loader is None:
            raise PantherError(NO_USERS)
        return self.user_loader


#: The app's authentication objects, set by the ``auth`` plugin when the app is built.
AUTH: StashKey[AuthState] = StashKey("auth")


def auth_state(app: Panther | None = None) -> AuthState:
    """``app``'s authentication objects (default: the app serving the current request, see ``current_app``)."""
    target = current_app() if app is None else app
    state = target.stash.get(AUTH)
    if state is None:
        raise PantherError(
            "This app has no authentication objects: the `auth` plugin (panther-auth) is disabled for it."
        )
    return state
