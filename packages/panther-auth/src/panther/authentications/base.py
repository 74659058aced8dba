"""``BaseAuthentication``: what every authentication class shares, and the 401 it answers with."""

from __future__ import annotations

import logging
from typing import Any, ClassVar

from panther.exceptions import AuthenticationAPIError

__all__ = ["BaseAuthentication", "challenge"]

logger = logging.getLogger("panther")

_MAX_DESCRIPTION = 200


class BaseAuthentication:
    """Subclass it and implement ``async __call__(self, request) -> user`` (``None``: anonymous).

    An instance is created for every request, so ``self`` may hold per-request state. Refuse a request with
    ``raise self.exception("why")``: a 401 whose detail is ``why``, with a ``WWW-Authenticate`` header.
    """

    #: The authentication scheme named in the ``WWW-Authenticate`` header of a refusal.
    scheme: ClassVar[str] = "Bearer"

    async def __call__(self, request: Any) -> Any:
        raise NotImplementedError(f"{type(self).__name__}.__call__() is not implemented.")

    @classmethod
    def exception(cls, message: str | Exception, /) -> AuthenticationAPIError:
        """Log ``<Class> Error: "message"`` and return the 401 to raise (``raise self.exception("...")``).

        ``message`` is the response's detail, so it must not contain secrets: say what is wrong with the
        credentials, never what they are.
        """
        logger.error(f'{cls.__name__} Error: "{message}"')
        return AuthenticationAPIError(detail=str(message), headers={"WWW-Authenticate": challenge(cls.scheme, message)})


def challenge(scheme: str, message: str | Exception) -> str:
    """A ``WWW-Authenticate`` value for a refused credential (RFC 6750 §3): ``Bearer error="invalid_token", ...``."""
    # A quoted-string may not contain '"' or '\', and a header value no control characters.
    allowed = (c for c in str(message) if c.isascii() and c.isprintable() and c not in '"\\')
    description = "".join(allowed)[:_MAX_DESCRIPTION]
    return f'{scheme} error="invalid_token", error_description="{description}"'
