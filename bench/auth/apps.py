"""The same job in each framework: ``GET /me/`` answers ``{"id": "1", "name": "ann"}`` for the user of a Bearer JWT.

Each framework is written the way its documentation writes it, and each has a twin without authentication (the
same endpoint returning the same user), so the difference is what authentication adds:

- Panther (this project): ``@API(auth=JWTAuthentication, permissions=[IsAuthenticated])``.
- FastAPI: the JWT tutorial's dependency (``OAuth2PasswordBearer`` + ``jwt.decode`` with PyJWT + a user lookup).
- Starlette: an ``AuthenticationBackend`` decoding the token with PyJWT, ``AuthenticationMiddleware`` and
  ``@requires("authenticated")``.

Every app verifies the same HS256 token (issued by Panther's ``login``) with the same key and looks users up in
the same in-memory dict, so they do the same work; Panther also checks the token's type, its required claims and
its session against the revocation store (in memory here), which the others do not. Panther remembers the tokens
it verified (see ``panther.authentications.tokens``); ``panther-first-use`` is the same app with that memory off,
the cost of a token's first request.

No `from __future__ import annotations` here: FastAPI reads the dependencies from the annotations at runtime.
"""

from typing import Any

KEY = "bench-jwt-key-0123456789abcdef0123456789abcdef"
ALGORITHM = "HS256"


class User:
    __slots__ = ("id", "name")

    def __init__(self, user_id: str, name: str) -> None:
        self.id = user_id
        self.name = name


USERS = {"1": User("1", "ann")}


async def load_user(user_id: Any) -> User | None:
    """The user lookup every app uses (a dict: the bench measures the frameworks, not a database)."""
    return USERS.get(user_id)


# --- Panther (this project) --------------------------------------------------------------------------------------


def panther(auth: bool) -> Any:
    from panther import Panther
    from panther.app import API
    from panther.authentications import JWTAuthentication
    from panther.permissions import IsAuthenticated
    from panther.request import Request

    if auth:

        @API(auth=JWTAuthentication, permissions=[IsAuthenticated])
        async def me(request: Request) -> Any:
            return {"id": request.user.id, "name": request.user.name}

    else:

        @API(auth=False)
        async def me(request: Request) -> Any:
            user = USERS["1"]
            return {"id": user.id, "name": user.name}

    configs = {"JWT_CONFIG": {"key": KEY, "algorithm": ALGORITHM, "user_loader": load_user}}
    return Panther(__name__, configs=configs, urls={"me": me})


def panther_first_use(auth: bool) -> Any:
    """Panther verifying the token with PyJWT on every request, as for a token it sees for the first time (it
    normally remembers the tokens it verified: a client sends the same one until it expires)."""
    app = panther(auth)
    if auth:
        from panther.authentications.state import AUTH

        app.stash[AUTH].jwt().cache_size = 0
    return app


async def issue_token(app: Any) -> str:
    """An access token from Panther's ``login`` (the one every app verifies)."""
    from panther.authentications import JWTAuthentication

    tokens = await JWTAuthentication.login(USERS["1"], app=app)
    return tokens["access_token"]


# --- FastAPI (its JWT tutorial, with PyJWT) ----------------------------------------------------------------------


def fastapi(auth: bool) -> Any:
    from typing import Annotated

    import jwt
    from fastapi import Depends, FastAPI, HTTPException, status
    from fastapi.security import OAuth2PasswordBearer
    from jwt.exceptions import InvalidTokenError

    app = FastAPI()
    oauth2_scheme = OAuth2PasswordBearer(tokenUrl="token")

    async def get_current_user(token: Annotated[str, Depends(oauth2_scheme)]) -> User:
        credentials_exception = HTTPException(
            status_code=status.HTTP_401_UNAUTHORIZED,
            detail="Could not validate credentials",
            headers={"WWW-Authenticate": "Bearer"},
        )
        try:
            payload = jwt.decode(token, KEY, algorithms=[ALGORITHM])
            user_id = payload.get("user_id")
            if user_id is None:
                raise credentials_exception
        except InvalidTokenError:
            raise credentials_exception from None
        user = await load_user(user_id)
        if user is None:
            raise credentials_exception
        return user

    if auth:

        @app.get("/me/")
        async def me(current_user: Annotated[User, Depends(get_current_user)]) -> dict[str, str]:
            return {"id": current_user.id, "name": current_user.name}

    else:

        @app.get("/me/")
        async def me() -> dict[str, str]:
            user = USERS["1"]
            return {"id": user.id, "name": user.name}

    return app


# --- Starlette (AuthenticationBackend + AuthenticationMiddleware) ----------------------------------------------


def starlette(auth: bool) -> Any:
    import jwt
    from starlette.applications import Starlette
    from starlette.authentication import (
        AuthCredentials,
        AuthenticationBackend,
        AuthenticationError,
        BaseUser,
        requires,
    )
    from starlette.middleware import Middleware
    from starlette.middleware.authentication import AuthenticationMiddleware
    from starlette.requests import HTTPConnection, Request
    from starlette.responses import JSONResponse
    from starlette.routing import Route

    class AuthenticatedUser(BaseUser):
        def __init__(self, user: User) -> None:
            self.user = user

        @property
        def is_authenticated(self) -> bool:
            return True

        @property
        def display_name(self) -> str:
            return self.user.name

    class JWTBackend(AuthenticationBackend):
        async def authenticate(self, conn: HTTPConnection) -> tuple[AuthCredentials, BaseUser] | None:
            if "Authorization" not in conn.headers:
                return None
            try:
                scheme, token = conn.headers["Authorization"].split()
                if scheme.lower() != "bearer":
                    return None
                payload = jwt.decode(token, KEY, algorithms=[ALGORITHM])
            except (ValueError, jwt.InvalidTokenError) as exc:
                raise AuthenticationError("Invalid token") from exc
            user = await load_user(payload.get("user_id"))
            if user is None:
                raise AuthenticationError("Unknown user")
            return AuthCredentials(["authenticated"]), AuthenticatedUser(user)

    if auth:

        @requires("authenticated")
        async def me(request: Request) -> JSONResponse:
            user = request.user.user
            return JSONResponse({"id": user.id, "name": user.name})

        middleware = [Middleware(AuthenticationMiddleware, backend=JWTBackend())]
    else:

        async def me(request: Request) -> JSONResponse:
            user = USERS["1"]
            return JSONResponse({"id": user.id, "name": user.name})

        middleware = []
    return Starlette(routes=[Route("/me/", me)], middleware=middleware)


FRAMEWORKS = {"panther": panther, "panther-first-use": panther_first_use, "fastapi": fastapi, "starlette": starlette}
