"""The JWT authentication classes: a token from the ``Authorization`` header, the query string or cookies.

Per request: find the token (none at all: anonymous, ``request.user`` is ``None``), verify it with the app's key,
check its type and that its session is not revoked, then load its user. Any refusal is a 401 naming the cause.

``login``, ``refresh`` and ``logout`` are class methods, as upstream (``BaseUser.login()`` calls
``AUTHENTICATION.login(user)``); they act on the app serving the current request, or on ``app=``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar, Literal

from panther.authentications.base import BaseAuthentication
from panther.authentications.state import AuthState, auth_state
from panther.authentications.tokens import TokenError, session_of

if TYPE_CHECKING:
    from panther.main import Panther

__all__ = ["CookieJWTAuthentication", "JWTAuthentication", "QueryParamJWTAuthentication"]


class JWTAuthentication(BaseAuthentication):
    """``Authorization: Bearer <jwt>`` (the keyword is case-insensitive).

    Class attributes: ``token_type`` (``'access'``; a subclass with ``'refresh'`` accepts only refresh tokens,
    for the endpoint that renews them), ``model`` (a user model other than ``USER_MODEL``), ``keyword``.
    Override ``get_user(payload)`` to load users another way.
    """

    model: ClassVar[Any] = None
    keyword: ClassVar[str] = "Bearer"
    token_type: ClassVar[Literal["access", "refresh"]] = "access"
    #: Upstream's attribute; the algorithm is ``JWT_CONFIG['algorithm']``.
    algorithm: ClassVar[str] = "HS256"
    HTTP_HEADER_ENCODING: ClassVar[str] = "iso-8859-1"

    #: The app's objects, given by the plugin to each instance it creates (else found through the request).
    state: AuthState | None = None

    async def __call__(self, request: Any) -> Any:
        header = self.get_authorization_header(request)
        if header is None:
            return None
        return await self.authenticate_token(self.get_token(header), request)

    async def authenticate_token(self, token: str, request: Any) -> Any:
        """The user of ``token`` (verified, of this class's ``token_type``, not revoked), or a 401."""
        state = self.state or auth_state(getattr(request, "app", None))
        payload = self._verified(state, token)
        if payload["token_type"] != self.token_type:
            raise self.exception(
                "Refresh token cannot be used as an access token"
                if payload["token_type"] == "refresh"
                else f"Invalid token type; expected `{self.token_type}` token."
            )
        if await state.revocations.is_revoked(session_of(payload)[0]):
            raise self.exception("Token revoked")
        if self.model is None and getattr(type(self).get_user, "__func__", None) is _DEFAULT_GET_USER:
            user = await state.loader()(payload["user_id"])  # what `get_user` does, with this app's loader
            if user is None:
                raise self.exception("User not found")
        else:
            user = await self.get_user(payload)
        _attach(user, "_auth_token", token)
        return user

    # --- Where the token is (override in subclasses) ---------------------------------------------------------

    @classmethod
    def get_authorization_header(cls, request: Any) -> Any:
        """The ``Authorization`` header split in parts; ``None`` when there is none (anonymous)."""
        value = _authorization(request)
        return None if value is None else value.split()

    @classmethod
    def get_token(cls, auth_header: Any) -> str:
        if len(auth_header) != 2:
            raise cls.exception("Authorization header must contain 2 parts")
        keyword, token = auth_header
        if keyword.lower() != cls.keyword.lower():
            raise cls.exception("Authorization keyword is not valid")
        return str(token)

    # --- Users ------------------------------------------------------------------------------------------------

    @classmethod
    async def get_user(cls, payload: dict[str, Any]) -> Any:
        """The user named by ``payload['user_id']``: ``cls.model``, else the app's users (``USER_MODEL`` or
        ``JWT_CONFIG['user_loader']``); a 401 when there is none (e.g. deleted since the token was issued)."""
        user_id = payload["user_id"]
        if cls.model is not None:
            user = await cls.model.find_one(id=user_id)
        else:
            user = await auth_state().loader()(user_id)
        if user is None:
            raise cls.exception("User not found")
        return user

    # --- Tokens (upstream's class methods) ---------------------------------------------------------------------

    @classmethod
    def encode_jwt(
        cls, user_id: Any, token_type: Literal["access", "refresh"] = "access", *, app: Panther | None = None
    ) -> str:
        """A token of its own (no paired token) for ``user_id``."""
        return auth_state(app).jwt().encode_token(user_id, token_type)

    @classmethod
    async def decode_jwt(cls, token: str, *, app: Panther | None = None) -> dict[str, Any]:
        """The verified claims of ``token``, or a 401."""
        return cls._verified(auth_state(app), token)

    @classmethod
    async def login(cls, user: Any, *, app: Panther | None = None) -> dict[str, str]:
        """``{"access_token", "refresh_token"}``: a new login session for ``user``."""
        return auth_state(app).jwt().pair(_user_id(user))

    @classmethod
    async def refresh(cls, user: Any, *, app: Panther | None = None) -> dict[str, str]:
        """Rotate: revoke the refresh token ``user`` was authenticated with (and the access token issued with it)
        and return a new pair. A refresh token works once: using it again is a 401."""
        state = auth_state(app)
        token = getattr(user, "_auth_refresh_token", None) or getattr(user, "_auth_token", None)
        if not token:
            raise cls.exception("No refresh token: authenticate the request with one")
        payload = cls._verified(state, token, user)
        if payload["token_type"] != "refresh":
            raise cls.exception("Invalid token type; expected `refresh` token.")
        if not await cls._revoke(state, payload):
            raise cls.exception("Token revoked")
        return await cls.login(user, app=app)

    @classmethod
    async def logout(cls, user: Any, *, app: Panther | None = None) -> None:
        """Revoke the tokens ``user`` was authenticated with (the access token, its refresh token, and a refresh
        cookie's session) for the rest of their life."""
        state = auth_state(app)
        token = getattr(user, "_auth_token", None)
        if not token:
            raise cls.exception("Not authenticated with a token: nothing to log out")
        await cls._revoke(state, cls._verified(state, token, user))
        refresh = getattr(user, "_auth_refresh_token", None)
        if refresh:
            try:
                payload = state.jwt().decode(refresh)
            except TokenError:
                return  # an expired or foreign refresh cookie cannot be used anyway
            if _same_user(payload, user):
                await cls._revoke(state, payload)

    @classmethod
    async def revoke_token(cls, token: str, *, app: Panther | None = None) -> None:
        """Revoke ``token``'s session (both tokens of its pair) for the rest of its life."""
        state = auth_state(app)
        await cls._revoke(state, cls._verified(state, token))

    @classmethod
    async def is_token_revoked(cls, token: str, *, app: Panther | None = None) -> bool:
        state = auth_state(app)
        return await state.revocations.is_revoked(session_of(cls._verified(state, token))[0])

    @classmethod
    async def revoke_token_in_cache(cls, token: str, exp: Any = None) -> None:
        """Upstream's name for ``revoke_token`` (``exp`` is read from the token)."""
        await cls.revoke_token(token)

    # --- Internals -------------------------------------------------------------------------------------------

    @classmethod
    def _verified(cls, state: AuthState, token: str, user: Any = None) -> dict[str, Any]:
        try:
            payload = state.jwt().decode(token)
        except TokenError as exc:
            raise cls.exception(str(exc)) from None
        if user is not None and not _same_user(payload, user):
            raise cls.exception("Token belongs to another user")
        return payload

    @classmethod
    async def _revoke(cls, state: AuthState, payload: dict[str, Any]) -> bool:
        key, until = session_of(payload)
        # Tokens are accepted until `exp + leeway`: their revocation must last as long.
        return await state.revocations.revoke(key, until + state.jwt().config.leeway)


_DEFAULT_GET_USER = getattr(JWTAuthentication.get_user, "__func__", None)


class QueryParamJWTAuthentication(JWTAuthentication):
    """``?authorization=<jwt>`` (no keyword): for WebSockets, whose browser API cannot send headers.

    Query strings end up in access logs: prefer the header or cookies wherever the client can send them.
    """

    query_param: ClassVar[str] = "authorization"

    @classmethod
    def get_authorization_header(cls, request: Any) -> Any:
        return request.query_params.get(cls.query_param)

    @classmethod
    def get_token(cls, auth_header: Any) -> str:
        return str(auth_header)


class CookieJWTAuthentication(JWTAuthentication):
    """The ``access_token`` cookie; the ``refresh_token`` cookie is kept for ``refresh()`` and ``logout()``.

    A refresh cookie without an access cookie is a 401 (the client should refresh), not an anonymous request.
    With ``token_type = 'refresh'`` it authenticates with the ``refresh_token`` cookie instead.
    """

    access_cookie: ClassVar[str] = "access_token"
    refresh_cookie: ClassVar[str] = "refresh_token"

    async def __call__(self, request: Any) -> Any:
        cookies = request.cookies
        if self.token_type == "refresh":
            token = cookies.get(self.refresh_cookie)
            return None if token is None else await self.authenticate_token(token, request)
        token = cookies.get(self.access_cookie)
        refresh = cookies.get(self.refresh_cookie)
        if token is None:
            if refresh is not None:
                raise self.exception(f"The `{self.access_cookie}` cookie is missing")
            return None
        user = await self.authenticate_token(token, request)
        if refresh:
            _attach(user, "_auth_refresh_token", refresh)
        return user

    @classmethod
    def get_authorization_header(cls, request: Any) -> Any:
        return request.cookies.get(cls.access_cookie)

    @classmethod
    def get_token(cls, auth_header: Any) -> str:
        return str(auth_header)


def _authorization(request: Any) -> str | None:
    """The ``Authorization`` header (the last one if repeated), read from the ASGI scope: building
    ``request.headers`` would decode every header of the request for this one."""
    scope = getattr(request, "scope", None)
    if scope is None:
        return request.headers.authorization
    value = None
    for name, raw in scope.get("headers") or ():
        if name == b"authorization":  # ASGI servers give header names lowercased
            value = raw
    return None if value is None else value.decode("latin-1")


def _user_id(user: Any) -> Any:
    user_id = getattr(user, "id", None)
    if user_id is None:
        raise ValueError(f"Cannot issue tokens for {user!r}: it has no `id` (save it first).")
    return user_id if isinstance(user_id, int | str) else str(user_id)


def _same_user(payload: dict[str, Any], user: Any) -> bool:
    return str(payload["user_id"]) == str(getattr(user, "id", None))


def _attach(user: Any, name: str, value: str) -> None:
    # The token rides on the user object (upstream's `user._auth_token`) for `logout()`/`refresh()`; a user object
    # that takes no attributes (a dict, a slotted class) simply cannot be logged out that way.
    try:
        setattr(user, name, value)
    except (AttributeError, TypeError, ValueError):
        pass
