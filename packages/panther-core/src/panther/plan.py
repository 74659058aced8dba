"""The plan of one endpoint: what the core and every plugin contribute to it, collected while the app is built.

``panther.building`` fills a plan per route (options, authentication, permissions, steps, middlewares) and
``panther.pipeline`` compiles it into request handlers; plugins see the plan in their hooks
(``panther_authentication``, ``panther_endpoint_steps``) and the finished plans in ``app.routes``
(``panther_app_built``).

A **step** wraps the handler of the stages after it::

    def wrap(inner: Handler) -> Handler:
        async def throttled(request):
            check(request)                    # before: may raise an APIError
            response = await inner(request)   # a Response of this request's own (uses_response=True, the default)
            response.headers["X-RateLimit-Remaining"] = "4"
            return response
        return throttled

    Step(Stage.THROTTLE, wrap)

Stages run in this order for every request of the endpoint: read the body, ``AUTHENTICATE`` (``request.user``),
``AUTHORIZE`` (``permissions=``), ``THROTTLE``, ``VALIDATE`` (``input_model``, POST/PUT/PATCH), ``CACHE``, then the
endpoint call and its output (``output_model``, cursors, pagination). Steps of the same stage keep the plugins'
registration order (the first is the outer one).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from enum import IntEnum
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from panther.app import EndpointOptions
    from panther.request import Request

__all__ = ["AuthCallable", "EndpointPlan", "Handler", "Stage", "Step"]

#: A compiled endpoint: ``await handler(request)`` gives what the endpoint returned (plain data or a Response).
Handler = Callable[["Request"], Awaitable[Any]]
#: ``await auth(request)`` → the user (or raises ``AuthenticationAPIError``).
AuthCallable = Callable[[Any], Awaitable[Any]]


class Stage(IntEnum):
    """Where a step runs in an endpoint's pipeline (lower runs first and wraps the higher ones)."""

    AUTHENTICATE = 100
    AUTHORIZE = 200
    THROTTLE = 300
    VALIDATE = 400
    CACHE = 500


@dataclass(frozen=True, slots=True)
class Step:
    """A contribution to an endpoint's pipeline: ``wrap(inner) -> handler`` at ``stage``.

    ``methods`` limits it to some HTTP methods (e.g. ``{"GET"}`` for a response cache; HEAD follows GET); ``None``
    applies it to every method. ``wrap`` is called once per method when the app is built, never per request: state
    that must be shared by the endpoint's methods (one throttle bucket) belongs in the closure that made the step.
    ``reads_body=False`` says the step never reads the request's body (a throttle, a cache): an endpoint whose steps
    all say so, and that does not take the request itself, does not read the body at all, like an endpoint with no
    step. ``uses_response=False`` says the step neither reads nor changes the response: it hands back its inner
    handler's result untouched (it only acts before the call: a check, a count). When no step of an endpoint uses
    the response, the endpoint's result is not wrapped in a ``Response`` for them and ``inner`` may return plain
    data, so such a step must not touch what it hands back; one that answers by itself returns a ``Response``.
    Otherwise every step gets a ``Response`` of the request's own (a ``Response`` the endpoint returned is copied,
    as it may return the same object every time).
    """

    stage: Stage | int
    wrap: Callable[[Handler], Handler]
    methods: frozenset[str] | None = None
    reads_body: bool = True
    uses_response: bool = True


@dataclass(slots=True, eq=False)
class EndpointPlan:
    """One route's endpoint as the app compiles it.

    ``path`` is the route as written in the URL dict (``'users/<user_id>'``), ``variables`` its path variables,
    ``endpoint`` the user's object (an ``@API`` function, a ``GenericAPI`` class, a plugin's endpoint class),
    ``scope_type`` the ASGI scope it serves (``'http'``, ``'websocket'``), ``methods`` the HTTP methods it answers and
    ``options`` its declared options (``options.get('cache')`` for a plugin's own). The rest is filled while the
    app is built: ``authentication`` (resolved, or ``None``), ``permissions`` (per-request callables) and the
    plugins' ``steps``.
    """

    path: str
    endpoint: Any
    options: EndpointOptions
    variables: tuple[str, ...] = ()
    scope_type: str = "http"
    methods: tuple[str, ...] = ()
    authentication: AuthCallable | None = None
    permissions: list[Callable[[Any], Awaitable[Any]]] = field(default_factory=list)
    steps: list[Step] = field(default_factory=list)
    middlewares: list[type] = field(default_factory=list)
    #: Plugins may record what they derived for this endpoint (e.g. the effective throttle) for other plugins.
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def where(self) -> str:
        """The route as error messages name it."""
        return f"{self.path}/" if self.path else "/"

    def option(self, name: str, default: Any = None) -> Any:
        """An endpoint option by name (core or plugin-declared); ``default`` when it is not set."""
        return self.options.get(name, default)
