"""JWT authentication for Panther (distribution ``panther-auth``, plugin ``auth``).

Set ``auth=JWTAuthentication`` on an endpoint (``@API(auth=...)``, ``GenericAPI.auth``) or ``AUTHENTICATION`` in
your configs; ``request.user`` is then the token's user, or ``None`` when the request carries no token. Issue
tokens with ``await user.login()`` (panther-db's ``BaseUser``) or ``await JWTAuthentication.login(user)``.
"""

from panther.authentications.base import BaseAuthentication
from panther.authentications.config import JWTConfig
from panther.authentications.jwt_auth import CookieJWTAuthentication, JWTAuthentication, QueryParamJWTAuthentication

__all__ = [
    "BaseAuthentication",
    "CookieJWTAuthentication",
    "JWTAuthentication",
    "JWTConfig",
    "QueryParamJWTAuthentication",
]
