"""Compile an endpoint into the request handler that runs its pipeline — once, at startup.

The order is upstream Panther's: auth → permissions → throttling → input validation (POST/PUT/PATCH) → cached
response (GET) → call with path variables → wrap in ``Response`` → read async data (``materialize``: cursors) →
output model and pagination → store in cache. A handler only contains the steps its endpoint declared; an endpoint
with none of them is a call, a wrap and the ``materialize`` check.
Nothing per request is stored on shared objects: the request carries all per-request state.
"""

from __future__ import annotations

import asyncio
import inspect
import re
import uuid
from collections.abc import Awaitable, Callable, Iterable
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel

from panther.app import EndpointOptions, GenericAPI
from panther.base_request import BaseRequest
from panther.exceptions import AuthorizationAPIError, InvalidPathVariableAPIError, PantherError
from panther.middlewares.base import build_chain
from panther.response import Response

if TYPE_CHECKING:
    from panther.main import Panther
    from panther.request import Request

#: A compiled endpoint: ``await handler(request)`` gives what the endpoint returned (plain data or a Response);
#: ``finish_response`` turns that into the Response to send.
Handler = Callable[["Request"], Awaitable[Any]]

_BODY_METHODS = frozenset(("POST", "PUT", "PATCH"))


# --- Path variables and keyword arguments ------------------------------------------------------------------------


def _to_bool(value: str) -> bool:
    lowered = value.lower()
    if lowered in ("true", "1"):
        return True
    if lowered in ("false", "0"):
        return False
    raise ValueError(value)


_FLOAT = re.compile(r"-?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][-+]?[0-9]+)?")  # finite, no nan/inf


def _to_float(value: str) -> float:
    if _FLOAT.fullmatch(value) is None:
        raise ValueError(value)
    return float(value)


#: Casts by annotation, besides int (see _caster); a ValueError means "not that type".
_CASTS: dict[Any, Callable[[str], Any]] = {float: _to_float, bool: _to_bool, uuid.UUID: uuid.UUID}


def _caster(name: str, annotation: Any) -> Callable[[str], Any] | None:
    if annotation is int:  # the common case, checked inline: this runs for every request

        def convert_int(value: str) -> int:
            # ASCII digits (int() also takes '٣', '1_000', ' +5') within 64 bits: what JSON and databases take.
            if value.isascii() and value.isdigit() and len(value) <= 18:
                return int(value)
            if value[:1] == "-" and value[1:].isascii() and value[1:].isdigit() and len(value) <= 19:
                return int(value)
            raise InvalidPathVariableAPIError(value=value, variable_type=int)

        return convert_int
    cast = _CASTS.get(annotation)
    if cast is None:
        return None

    def convert(value: str) -> Any:
        try:
            return cast(value)
        except ValueError:
            raise InvalidPathVariableAPIError(value=value, variable_type=annotation) from None

    return convert


def _is_request_annotation(annotation: Any) -> bool:
    return isinstance(annotation, type) and issubclass(annotation, BaseRequest)


def _annotations(func: Callable[..., Any], params: list[inspect.Parameter]) -> dict[str, Any]:
    """The evaluated annotation of each parameter; one that cannot be evaluated stays a string.

    Evaluated one by one so that a single unresolvable forward reference does not switch off casting for the
    other parameters.
    """
    try:
        return inspect.get_annotations(func, eval_str=True)
    except Exception:
        pass
    namespace = getattr(inspect.unwrap(func), "__globals__", {})
    result: dict[str, Any] = {}
    for param in params:
        annotation = param.annotation
        if isinstance(annotation, str):
            try:
                annotation = eval(annotation, namespace)  # what get_annotations(eval_str=True) does, per name
            except Exception:
                pass
        result[param.name] = annotation
    return result


_Casts = tuple[tuple[str, Callable[[str], Any] | None], ...]


def _parameters(
    func: Callable[..., Any], variables: tuple[str, ...], where: str, method: bool
) -> tuple[_Casts, tuple[str, ...]]:
    """What ``func`` takes: its path variables with their casts, and the names it takes the request under
    (in the order of its signature).

    Every path variable must be a parameter of ``func`` (or be caught by ``**kwargs``): upstream passed them all
    by name, so a missing one was a ``TypeError`` on every request; here it is a startup error. A parameter that
    is neither a path variable, the request, nor optional is a startup error too.
    """
    signature = inspect.signature(func)
    request_names: list[str] = []
    casts: list[tuple[str, Callable[[str], Any] | None]] = []
    takes_all = False
    params = list(signature.parameters.values())
    if method and params:  # a GenericAPI method: its first parameter is the instance, whatever its name
        params = params[1:]
    hints = _annotations(func, params)
    for param in params:
        annotation = hints.get(param.name, param.annotation)
        if param.kind is param.VAR_KEYWORD:
            takes_all = True
        elif param.kind is param.VAR_POSITIONAL:
            continue
        elif param.kind is param.POSITIONAL_ONLY:
            if param.default is param.empty:
                raise PantherError(
                    f"{func.__qualname__}() takes `{param.name}` as positional-only, but the request and path "
                    f"variables of '{where}' are passed by name: remove the `/`."
                )
        elif _is_request_annotation(annotation):
            request_names.append(param.name)
        elif param.name in variables:
            casts.append((param.name, _caster(param.name, annotation)))
        elif param.name == "request":
            # Unannotated, `Any`, or a string that could not be resolved (`Request` imported under TYPE_CHECKING):
            # a parameter named `request` that is not a path variable can only mean the request.
            request_names.append(param.name)
        elif param.default is param.empty:
            raise PantherError(
                f"{func.__qualname__}() takes `{param.name}`, which is not a path variable of '{where}' "
                f"(variables: {', '.join(variables) or 'none'}): rename it or give it a default."
            )
    declared = {name for name, _ in casts}
    missing = [name for name in variables if name not in declared]
    if missing and not takes_all:
        raise PantherError(
            f"{func.__qualname__}() does not take the path variable{'s' if len(missing) > 1 else ''} "
            f"{', '.join(f'`{name}`' for name in missing)} of '{where}': add "
            f"{'them' if len(missing) > 1 else 'it'} as a parameter (or `**kwargs`)."
        )
    casts.extend((name, None) for name in missing)
    return tuple(casts), tuple(request_names)


def _kwargs_builder(casts: _Casts, request_names: tuple[str, ...]) -> Callable[[Request], dict[str, Any]]:
    # The two shapes almost every endpoint has get a builder of their own: this runs for every request.
    if not casts and len(request_names) == 1:
        (request_name,) = request_names

        def request_only(request: Request) -> dict[str, Any]:
            return {request_name: request}

        return request_only
    if len(casts) == 1 and not request_names:
        ((name, cast),) = casts
        if cast is None:

            def one_raw_variable(request: Request) -> dict[str, Any]:
                return {name: request._path_variables[name]}  # type: ignore[index]

            return one_raw_variable

        def one_variable(request: Request) -> dict[str, Any]:
            return {name: cast(request._path_variables[name])}  # type: ignore[index]

        return one_variable

    def kwargs(request: Request) -> dict[str, Any]:
        values = request.path_variables
        result = {name: (cast(values[name]) if cast else values[name]) for name, cast in casts}
        for name in request_names:
            result[name] = request
        return result

    return kwargs


# --- Compilation -------------------------------------------------------------------------------------------------


def compile_function(
    func: Callable[..., Any], app: Panther, where: str, variables: tuple[str, ...]
) -> dict[str, Handler]:
    """Handlers for an ``@API`` function, one per allowed method."""
    options: EndpointOptions = func.api.options  # type: ignore[attr-defined]
    # The function @API() decorated, even if another decorator was stacked on top (copying `api` and setting its
    # own `__wrapped__` to @API's pass-through wrapper).
    target = func.api.func  # type: ignore[attr-defined]
    handlers = {method: _compile(target, None, method, options, app, where, variables) for method in options.methods}
    return _with_middlewares(handlers, options, app, where)


def compile_class(cls: type[GenericAPI], app: Panther, where: str, variables: tuple[str, ...]) -> dict[str, Handler]:
    """Handlers for a ``GenericAPI`` subclass, one per implemented method; an instance is created per request."""
    options = cls.options
    handlers = {
        method: _compile(getattr(cls, method.lower()), cls, method, options, app, where, variables)
        for method in options.methods
    }
    return _with_middlewares(handlers, options, app, where)


def allowed_methods(methods: Iterable[str]) -> str:
    """The ``Allow`` header for an endpoint's methods (HEAD comes with GET, OPTIONS is always answered)."""
    methods = list(methods)
    return ", ".join(dict.fromkeys([*methods, *(["HEAD"] if "GET" in methods else []), "OPTIONS"]))


def options_answer(allow: str) -> Handler:
    """The handler answering ``OPTIONS`` on an endpoint that does not implement it: 204 with ``Allow``."""
    headers = {"Allow": allow}

    async def answer_options(request: Request) -> Response:
        return Response(status_code=204, headers=headers)

    return answer_options


def _with_middlewares(
    handlers: dict[str, Handler], options: EndpointOptions, app: Panther, where: str
) -> dict[str, Handler]:
    """Wrap an endpoint's handlers in its own middlewares: one chain per endpoint, around a method switch.

    OPTIONS goes through the chain too: upstream ran an endpoint's middlewares for every method, so a per-endpoint
    ``CORSMiddleware`` answered the browser's preflight.
    """
    if not options.middlewares or not handlers:
        return handlers
    by_method = {**handlers, "OPTIONS": options_answer(allowed_methods(handlers))}
    if "GET" in handlers:
        by_method["HEAD"] = handlers["GET"]

    async def by_method_dispatch(request: Request) -> Response:
        if request.body_error is not None:
            raise request.body_error
        return await finish_response(await by_method[request.method](request))

    middlewares = app.load_middlewares(options.middlewares, where=f"middlewares of '{where}/'")
    chain = build_chain(by_method_dispatch, middlewares, app)

    async def read_body_then_chain(request: Request) -> Response:
        await read_body_for_middlewares(request)
        return await chain(request)

    return dict.fromkeys(by_method, read_body_then_chain)


async def read_body_for_middlewares(request: Request) -> None:
    """Read the body before middlewares run, so they can use ``request.data`` as in upstream Panther.

    A bad body (or a disconnect) is kept in ``request.body_error`` and raised by the innermost handler, so the
    middlewares see its error response like any other.
    """
    try:
        await request.read_body()
    except Exception as exc:
        request.body_error = exc


def _compile(
    func: Callable[..., Any],
    owner: type | None,
    method: str,
    options: EndpointOptions,
    app: Panther,
    where: str,
    variables: tuple[str, ...],
) -> Handler:
    """One method's handler, with only the steps the endpoint declared (decided here, not per request).

    The body is read only by handlers that can use it (an endpoint taking the request, or any step): an endpoint
    that never sees the request ignores its body, as a server does with a body it does not need.
    """
    casts, request_names = _parameters(func, variables, where, method=owner is not None)
    auth = app.resolve_auth(options.auth, where)
    permissions = [per_request_callable(p) for p in options.permissions]
    throttle = app.resolve_throttle(options.throttling, where)
    cache = app.resolve_cache(options.cache, where) if method == "GET" else None
    input_model = options.input_model if method in _BODY_METHODS else None
    output_model = options.output_model
    call = _make_call(func, owner, casts, request_names)
    if auth or permissions or throttle or cache or output_model or _needs_materializing_type(input_model):
        return _full_handler(call, auth, permissions, throttle, input_model, cache, output_model)
    if input_model is not None:
        return _validating_handler(call, input_model)
    if request_names:
        return _reading_handler(call)
    # No step, no request: the handler is the endpoint call itself, and the app wraps its result.
    return call


def _reading_handler(call: Callable[[Request], Awaitable[Any]]) -> Handler:
    async def read_body_then_call(request: Request) -> Any:
        await request.read_body()
        return await call(request)

    return read_body_then_call


def _validating_handler(call: Callable[[Request], Awaitable[Any]], input_model: type[BaseModel]) -> Handler:
    # The most common step alone, without the checks of the full handler.
    async def validate_then_call(request: Request) -> Any:
        await request.read_body()
        request.validate_data(input_model)
        return await call(request)

    return validate_then_call


def per_request_callable(obj: Any) -> Callable[[Request], Awaitable[Any]]:
    """An auth or permission callable; a class is instantiated for every request, as upstream did.

    One shared instance would let two concurrent requests see each other's state when the class keeps any on
    ``self`` (e.g. ``self.request`` across an ``await``) — the impersonation upstream's per-request instances avoid.
    """
    if not isinstance(obj, type):
        return obj
    cls = obj

    async def call_new_instance(request: Request) -> Any:
        return await cls()(request)

    return call_new_instance


def _make_call(
    func: Callable[..., Any], owner: type | None, casts: _Casts, request_names: tuple[str, ...]
) -> Callable[[Request], Awaitable[Any]]:
    """``call(request)`` → the awaitable of one endpoint call, with its arguments.

    ``call`` itself is a plain function returning the endpoint's coroutine, so awaiting it costs no extra
    coroutine per request; an endpoint whose only argument is its first parameter (``request`` or one path
    variable) gets it positionally, without a keyword dict. A sync endpoint runs in a worker thread so it cannot
    block other requests.
    """
    kwargs = _kwargs_builder(casts, request_names) if casts or request_names else None
    if not inspect.iscoroutinefunction(func):
        if owner is not None:
            return lambda request: asyncio.to_thread(func, owner(), **(kwargs(request) if kwargs else {}))
        return lambda request: asyncio.to_thread(func, **(kwargs(request) if kwargs else {}))
    if owner is not None:  # GenericAPI: a new instance per request
        if kwargs is None:
            return lambda request: func(owner())
        return lambda request: func(owner(), **kwargs(request))
    if kwargs is None:
        return lambda request: func()
    if len(casts) + len(request_names) == 1 and _first_parameter(func) in {*request_names, *(n for n, _ in casts)}:
        if request_names:
            return func
        ((name, cast),) = casts
        if cast is None:
            return lambda request: func(request._path_variables[name])  # type: ignore[index]
        return lambda request: func(cast(request._path_variables[name]))  # type: ignore[index]
    return lambda request: func(**kwargs(request))


def _first_parameter(func: Callable[..., Any]) -> str | None:
    """The name of ``func``'s first parameter if it can be passed positionally."""
    for param in inspect.signature(func).parameters.values():
        if param.kind in (param.POSITIONAL_ONLY, param.POSITIONAL_OR_KEYWORD):
            return param.name
        return None
    return None


#: What an endpoint returns most of the time: wrapped in a Response with no other step.
PLAIN_DATA = frozenset((dict, list, str, int, float, bool, type(None), bytes, tuple))


async def finish_response(result: Any) -> Response:
    """Turn what a handler returned into the Response to send: plain data is wrapped, a cursor read, pagination
    applied. (The app inlines the two common cases; this is the general one.)"""
    response = result if isinstance(result, Response) else Response(result)
    if _needs_materializing(response.data):
        response.data = await materialize(response.data)
    if response.pagination is not None:
        response.data = await response.pagination.template(response.data)
        response.pagination = None  # applied
    return response


def is_finished(result: Any) -> bool:
    """Whether ``result`` can be sent as it is: a plain Response of plain data, with no pagination to apply."""
    return type(result) is Response and result.pagination is None and type(result.data) in PLAIN_DATA


def _full_handler(
    call: Callable[[Request], Awaitable[Any]],
    auth: Callable[[Request], Awaitable[Any]] | None,
    permissions: list[Callable[[Request], Awaitable[Any]]],
    throttle: Callable[[Request], Awaitable[None]] | None,
    input_model: type[BaseModel] | None,
    cache: Any,
    output_model: type[BaseModel] | None,
) -> Handler:
    # Validation that needs I/O finishes after it, e.g. panther-db's ModelSerializer loading references by id.
    materialize_input = input_model is not None and _needs_materializing_type(input_model)

    async def handler(request: Request) -> Response:
        await request.read_body()
        if auth is not None:
            request.user = await auth(request)
        for permission in permissions:
            # Deny unless the permission answers exactly True: a forgotten `return` must not grant access.
            if await permission(request) is not True:
                raise AuthorizationAPIError
        if throttle is not None:
            await throttle(request)
        if input_model is not None:  # only set for POST/PUT/PATCH handlers
            request.validate_data(input_model)
            if materialize_input:
                request.validated_data = await materialize(request.validated_data)
        if cache is not None:  # only set for the GET handler (HEAD shares it)
            cached = await cache.get(request)
            if cached is not None:
                return cached
        result = await call(request)
        response = result if isinstance(result, Response) else Response(result)
        if _needs_materializing(response.data):
            response.data = await materialize(response.data)
        if output_model is not None and response.data:
            response.data = await serialize_output(output_model, response.data)
        if response.pagination is not None:
            response.data = await response.pagination.template(response.data)
            response.pagination = None  # applied: the app must not apply it again
        if cache is not None:
            await cache.set(request, response)
        return response

    return handler


def _needs_materializing_type(cls: type | None) -> bool:
    return getattr(cls, "__panther_materialize__", None) is not None


def _needs_materializing(data: Any) -> bool:
    return type(data) not in PLAIN_DATA and _needs_materializing_type(type(data))


async def materialize(data: Any) -> Any:
    """Read data that can only be read asynchronously before it is used, e.g. a database cursor.

    Duck-typed: an object whose type has an async ``__panther_materialize__()`` is replaced by what that returns
    (panther-db's ``Cursor`` returns its list of models). Rendering runs inside orjson, which cannot await, so
    without this step such an object would have to be read synchronously — upstream did it with one thread and
    one event loop per document. It also runs on the validated ``input_model`` instance and on each
    ``output_model`` instance, whose validation may need the database too.
    """
    method = getattr(type(data), "__panther_materialize__", None)
    return data if method is None else await method(data)


async def serialize_output(output_model: type[BaseModel], data: Any) -> Any:
    """Filter ``data`` (a dict, a model, or an iterable of them) through ``output_model``.

    If the output model defines ``async to_response(instance, data)`` its result is used.
    """
    if isinstance(data, (dict, BaseModel)):
        return await _serialize_one(output_model, data)
    if isinstance(data, (str, bytes)) or not hasattr(data, "__iter__"):
        raise TypeError(f"output_model cannot serialise a {type(data).__name__}; return a dict, a model or a list.")
    return [await _serialize_one(output_model, item) async for item in _aiter(data)]


async def _aiter(data: Any) -> Any:
    if hasattr(data, "__aiter__"):
        async for item in data:
            yield item
    else:
        for item in data:
            yield item


async def _serialize_one(output_model: type[BaseModel], item: Any) -> Any:
    source = item.model_dump() if isinstance(item, BaseModel) else item
    instance = await materialize(output_model.model_validate(source))
    # Python values (datetimes stay datetimes), as upstream gave `to_response`; the JSON encoder handles them.
    dumped = instance.model_dump()
    to_response = getattr(instance, "to_response", None)
    if to_response is not None:
        return await to_response(instance=item, data=dumped)
    return dumped
