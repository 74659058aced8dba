"""Endpoint declarations: ``@API(...)`` for functions and ``GenericAPI`` for classes.

A declaration only records options and checks them; the app compiles each endpoint into a request handler once, at
startup (see ``panther.pipeline``). The decorated function stays callable as it was, which keeps it easy to unit
test.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable, Iterable
from datetime import timedelta
from typing import Any, ClassVar, Literal, TypeVar

from pydantic import BaseModel

from panther.exceptions import PantherError

__all__ = ["API", "EndpointOptions", "GenericAPI"]

HTTPMethod = Literal["GET", "POST", "PUT", "PATCH", "DELETE"]
HTTP_METHODS: tuple[str, ...] = ("GET", "POST", "PUT", "PATCH", "DELETE")
#: Options upstream Panther had that plugins now own (panther-cache); ``GenericAPI`` reads them as class attributes.
UPSTREAM_PLUGIN_OPTIONS: tuple[str, ...] = ("throttling", "cache")

F = TypeVar("F", bound=Callable[..., Any])


#: The options the core reads. Every other option (``throttling=``, ``cache=``, a plugin's own) belongs to the
#: plugin that declares it (``panther_endpoint_options``); the app refuses one that no installed plugin declares.
CORE_OPTIONS: tuple[str, ...] = (
    "methods",
    "input_model",
    "output_model",
    # Documentation only (panther-openapi reads it): kept in the core so that upstream apps declaring it start
    # without the docs plugin installed.
    "output_schema",
    "auth",
    "permissions",
    "middlewares",
)


class EndpointOptions:
    """The validated options of one endpoint (shared by ``@API`` and ``GenericAPI``).

    Core options are attributes; plugin options (anything else passed to ``@API(...)`` or set on a ``GenericAPI``
    class) are kept as given in ``plugin_options`` and checked by their plugin when the app is built.
    """

    __slots__ = (*CORE_OPTIONS, "plugin_options")

    def __init__(
        self,
        *,
        methods: Iterable[str] | None = None,
        input_model: type[BaseModel] | None = None,
        output_model: type[BaseModel] | None = None,
        output_schema: Any = None,
        auth: Any = None,
        permissions: Any = None,
        middlewares: Iterable[Any] | None = None,
        _owner: str = "API",
        **plugin_options: Any,
    ) -> None:
        owner = _owner  # who declared the options, for messages (underscored: a plugin option may be named `owner`)
        self.methods = _check_methods(methods, owner)
        self.input_model = _check_model(input_model, "input_model", owner)
        self.output_model = _check_model(output_model, "output_model", owner)
        self.output_schema = output_schema
        if auth not in (None, True, False) and callable(auth):
            # Non-callable declarations are for plugins (panther_authentication) and are checked at startup.
            check_async_callable(auth, "auth", owner)
        self.auth = auth
        if permissions is None:
            permissions = []
        elif not isinstance(permissions, (list, tuple)):
            permissions = [permissions]
        for permission in permissions:
            check_async_callable(permission, "permissions", owner)
        self.permissions = list(permissions)
        self.middlewares = list(middlewares or [])
        self.plugin_options: dict[str, Any] = {k: v for k, v in plugin_options.items() if v is not None}

    def get(self, name: str, default: Any = None) -> Any:
        """An option by name: a core attribute or a plugin option (``default`` when not set)."""
        if name in CORE_OPTIONS:
            return getattr(self, name)
        return self.plugin_options.get(name, default)

    def with_plugin_options(self, values: dict[str, Any]) -> EndpointOptions:
        """A copy with more plugin options (the app reads a ``GenericAPI``'s plugin options from its class
        attributes once it knows which names its plugins declare)."""
        copy = object.__new__(EndpointOptions)
        for name in CORE_OPTIONS:
            setattr(copy, name, getattr(self, name))
        copy.plugin_options = {**self.plugin_options, **{k: v for k, v in values.items() if v is not None}}
        return copy

    def __repr__(self) -> str:
        core = ", ".join(f"{name}={getattr(self, name)!r}" for name in CORE_OPTIONS if getattr(self, name))
        plugin = ", ".join(f"{name}={value!r}" for name, value in self.plugin_options.items())
        return f"EndpointOptions({', '.join(filter(None, (core, plugin)))})"


class API:
    """Declare a function as an endpoint::

        @API(methods=["POST"], input_model=BookIn)
        async def create_book(request: Request):
            return Response(request.validated_data, status_code=201)

    ``methods`` defaults to every method. ``auth=None`` uses the ``AUTHENTICATION`` setting, ``auth=False``
    disables it. Path variables are passed by name, cast to the parameter's annotation; a parameter annotated
    ``Request`` (or named ``request``) receives the request.
    """

    def __init__(
        self,
        methods: list[HTTPMethod] | None = None,
        input_model: type[BaseModel] | None = None,
        output_model: type[BaseModel] | None = None,
        output_schema: Any = None,
        auth: Any = None,
        permissions: Any = None,
        throttling: Any = None,
        cache: timedelta | None = None,
        middlewares: list[Any] | None = None,
        **options: Any,
    ) -> None:
        if callable(methods):  # `@API` without parentheses passes the function here
            raise PantherError(f"Use `@API()` (with parentheses) on {getattr(methods, '__qualname__', methods)}.")
        self.options = EndpointOptions(
            methods=methods,
            input_model=input_model,
            output_model=output_model,
            output_schema=output_schema,
            auth=auth,
            permissions=permissions,
            middlewares=middlewares,
            throttling=throttling,
            cache=cache,
            **options,
        )
        self.func: Callable[..., Any] | None = None

    def __call__(self, func: F) -> F:
        if not callable(func) or isinstance(func, type):
            raise PantherError(f"@API() decorates a function, got {func!r}; subclass GenericAPI for classes.")
        self.func = func

        endpoint: Any
        if inspect.iscoroutinefunction(func):

            @functools.wraps(func)
            async def endpoint(*args: Any, **kwargs: Any) -> Any:  # stays a coroutine function for introspection
                return await func(*args, **kwargs)

        else:

            @functools.wraps(func)
            def endpoint(*args: Any, **kwargs: Any) -> Any:
                return func(*args, **kwargs)

        endpoint.api = self
        return endpoint

    # Upstream attribute names, read by tools such as OpenAPI generators.
    def __getattr__(self, name: str) -> Any:
        options = self.__dict__.get("options")
        if options is not None and (name in CORE_OPTIONS or name in options.plugin_options):
            return options.get(name)
        if options is not None and name in UPSTREAM_PLUGIN_OPTIONS:
            return None
        raise AttributeError(name)


class GenericAPI:
    """Declare a class as an endpoint; implement ``get``, ``post``, ``put``, ``patch`` and/or ``delete``.

    The class attributes below apply to every method. An instance is created per request, so ``self`` may hold
    per-request state.
    """

    input_model: ClassVar[type[BaseModel] | None] = None
    output_model: ClassVar[type[BaseModel] | None] = None
    output_schema: ClassVar[Any] = None
    auth: ClassVar[Any] = None
    permissions: ClassVar[Any] = None
    throttling: ClassVar[Any] = None
    cache: ClassVar[timedelta | None] = None
    middlewares: ClassVar[list[Any] | None] = None

    options: ClassVar[EndpointOptions]

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        implemented = [m for m in HTTP_METHODS if getattr(cls, m.lower()) is not getattr(GenericAPI, m.lower())]
        cls.options = EndpointOptions(
            methods=implemented,
            **{name: getattr(cls, name) for name in CORE_OPTIONS if name != "methods"},
            **{name: getattr(cls, name, None) for name in UPSTREAM_PLUGIN_OPTIONS},
            _owner=cls.__qualname__,
        )

    async def get(self, *args: Any, **kwargs: Any) -> Any:
        raise NotImplementedError

    async def post(self, *args: Any, **kwargs: Any) -> Any:
        raise NotImplementedError

    async def put(self, *args: Any, **kwargs: Any) -> Any:
        raise NotImplementedError

    async def patch(self, *args: Any, **kwargs: Any) -> Any:
        raise NotImplementedError

    async def delete(self, *args: Any, **kwargs: Any) -> Any:
        raise NotImplementedError


def _check_methods(methods: Iterable[str] | None, owner: str) -> tuple[str, ...]:
    if methods is None:
        return HTTP_METHODS
    if isinstance(methods, str):
        methods = [methods]
    result = []
    for method in methods:
        upper = str(method).upper()
        if upper not in HTTP_METHODS:
            raise PantherError(f"{owner}: unknown method {method!r} in `methods`; use {', '.join(HTTP_METHODS)}.")
        result.append(upper)
    return tuple(dict.fromkeys(result))


def _check_model(model: Any, name: str, owner: str) -> Any:
    if model is not None and not (isinstance(model, type) and issubclass(model, BaseModel)):
        raise PantherError(f"{owner}: `{name}` must be a pydantic model class, got {model!r}.")
    return model


def check_async_callable(obj: Any, what: str, owner: str = "API") -> None:
    """Check that ``obj`` is an async function ``(request)`` or a class whose async ``__call__`` takes a request."""
    if isinstance(obj, type):
        target, expected_params = obj.__call__, 2  # (self, request)
    elif inspect.isfunction(obj) or inspect.ismethod(obj):
        target, expected_params = obj, 1
    else:  # an instance with an async __call__ (a bound method)
        target, expected_params = obj.__call__, 1
    name = getattr(obj, "__qualname__", None) or type(obj).__qualname__
    if not inspect.iscoroutinefunction(target):
        raise PantherError(f"{owner}: `{what}` {name} must be an async function or a class with `async __call__`.")
    try:
        params = [
            p
            for p in inspect.signature(target).parameters.values()
            if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD) and p.default is p.empty
        ]
        variadic = any(p.kind == p.VAR_POSITIONAL for p in inspect.signature(target).parameters.values())
    except (TypeError, ValueError):
        return
    if len(params) != expected_params and not (variadic and len(params) < expected_params):
        raise PantherError(f"{owner}: `{what}` {name} must take exactly one argument, the request.")
