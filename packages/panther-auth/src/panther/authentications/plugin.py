"""The ``auth`` plugin: each app's JWT settings, token codec and revocation store, prepared when it is built.

- ``panther_configure`` reads ``JWT_CONFIG`` (with ``SECRET_KEY``), chooses where revocations live (``app.redis``
  when ``REDIS`` is set, else this process's memory) and how users are loaded, into ``app.stash[AUTH]``.
- ``panther_authentication`` checks, once per endpoint, that a JWT class can work on this app (a key, users) and
  gives each request's instance the app's objects.
- ``panther_lifespan`` warns at startup when several workers would each keep their own revocations.
- ``panther_cli_commands`` adds ``panther createuser``.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Callable, Mapping
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING, Any

from panther.authentications.config import DEFAULT_REVOCATION_CAPACITY, load_jwt_config
from panther.authentications.jwt_auth import JWTAuthentication
from panther.authentications.revocation import MemoryRevocations, RedisRevocations, RevocationStore
from panther.authentications.state import AUTH, NO_KEY, NO_USERS, AuthState, UserLoader
from panther.authentications.workers import worker_count
from panther.building import load_auth_setting
from panther.exceptions import PantherError
from panther.plugins import hookimpl

if TYPE_CHECKING:
    from panther.configs import Config
    from panther.main import Panther
    from panther.plan import AuthCallable, EndpointPlan

logger = logging.getLogger("panther")


@hookimpl
def panther_config_defaults() -> Mapping[str, Any]:
    return {"JWT_CONFIG": None}


@hookimpl(trylast=True)  # after panther-db's, which resolves USER_MODEL into a class
def panther_configure(app: Panther, config: Config) -> None:
    jwt_config = load_jwt_config(config.JWT_CONFIG, config.SECRET_KEY)
    revocations: RevocationStore
    if app.redis is not None:
        revocations = RedisRevocations(app.redis)
    else:
        capacity = jwt_config.revocation_capacity if jwt_config is not None else DEFAULT_REVOCATION_CAPACITY
        revocations = MemoryRevocations(capacity)
    state = AuthState(config=jwt_config, revocations=revocations, user_loader=_user_loader(jwt_config, config))
    app.stash[AUTH] = state
    if jwt_config is not None:
        config["JWT_CONFIG"] = jwt_config  # upstream code reads `config.JWT_CONFIG.key`, `.life_time`, ...
    # Resolved once, so `BaseUser.login()` (which calls `AUTHENTICATION.login`) gets a class, as upstream did.
    config["AUTHENTICATION"] = load_auth_setting(config.AUTHENTICATION, "AUTHENTICATION")
    for setting in ("AUTHENTICATION", "WS_AUTHENTICATION"):
        auth = load_auth_setting(config[setting], setting)
        if _is_jwt(auth):
            _check_usable(state, auth, setting)


@hookimpl
def panther_authentication(app: Panther, auth: Any, endpoint: EndpointPlan) -> AuthCallable | None:
    if not _is_jwt(auth):
        return None
    state = app.stash[AUTH]
    _check_usable(state, auth, f"'{endpoint.where}'")
    cls: type[JWTAuthentication] = auth

    async def authenticate(request: Any) -> Any:
        instance = cls()  # one per request, as the core does for any class
        instance.state = state
        return await instance(request)

    return authenticate


@hookimpl
def panther_lifespan(app: Panther) -> Any:
    state = app.stash.get(AUTH)
    if state is None or state.revocations.shared or state.config is None:
        return None
    return _warn_if_per_worker()


@asynccontextmanager
async def _warn_if_per_worker() -> AsyncIterator[None]:
    workers = worker_count()
    if workers > 1:
        logger.warning(
            "Token revocation is kept in each worker's memory (REDIS is not configured): with %d workers, a logout "
            "or a refresh revokes tokens only in the worker that served it. Configure REDIS to share revocations.",
            workers,
        )
    yield


@hookimpl
def panther_cli_commands() -> Mapping[str, Callable[[list[str]], int | None]]:
    from panther.authentications.cli import createuser_command

    return {"createuser": createuser_command}


def _is_jwt(auth: Any) -> bool:
    return isinstance(auth, type) and issubclass(auth, JWTAuthentication)


def _check_usable(state: AuthState, cls: type[JWTAuthentication], where: str) -> None:
    """A JWT class needs a key and a way to load users: fail when the app is built, not at the first request."""
    if state.tokens is None:
        raise PantherError(f"{where} uses {cls.__name__}. {NO_KEY}")
    own_get_user = getattr(cls.get_user, "__func__", None) is not getattr(JWTAuthentication.get_user, "__func__", None)
    loads_users_itself = cls.model is not None or own_get_user
    if state.user_loader is None and not loads_users_itself:
        raise PantherError(f"{where} uses {cls.__name__}. {NO_USERS}")


def _user_loader(jwt_config: Any, config: Config) -> UserLoader | None:
    if jwt_config is not None and jwt_config.user_loader is not None:
        return jwt_config.user_loader
    model = config.USER_MODEL
    if model is None or isinstance(model, str) or not hasattr(model, "find_one"):
        return None
    find_one = model.find_one

    async def load_user(user_id: Any) -> Any:
        return await find_one(id=user_id)

    return load_user
