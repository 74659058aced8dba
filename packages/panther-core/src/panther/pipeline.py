"""Compile an endpoint's plan into its request handlers — once, when the app is built.

The handler of one method runs, in order: read the body, then the plan's steps by stage (``AUTHENTICATE``,
``AUTHORIZE``, ``THROTTLE``, ``VALIDATE``, ``CACHE``; see ``panther.plan``), then the endpoint call and its output
(a cursor read, ``output_model``, pagination). A handler contains only what its endpoint declared: an endpoint with
no step (or whose steps do not use the response) is the call itself, and the app wraps its result. Nothing per
request is stored on shared objects: the request carries all per-request state.
"""

from __future__ import annotations

import asyncio
import copy
import inspect
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel

from panther.exceptions import AuthorizationAPIError, PantherError
from panther.middlewares.base import build_chain
from panther.output import PLAIN_DATA, finish_response, materialize, needs_materializing_type, serialize_output
from panther.parameters import Binding, bind_parameters
from panther.plan import EndpointPlan, Handler, Stage, Step
from panther.response import Response
from panther.routings import allowed_methods, options_answer

if TYPE_CHECKING:
    from panther.request import Request

__all__ = ["compile_endpoint", "per_request_callable", "read_body_for_middlewares"]

_BODY_METHODS = frozenset(("POST", "PUT", "PATCH"))


def compile_endpoint(plan: EndpointPlan, app: Any = None) -> dict[str, Handler]:
    """One handler per method of ``plan`` (an ``@API`` function or a ``GenericAPI`` class), wrapped in the
    endpoint's own middlewares (``app`` is handed to their constructors)."""
    endpoint = plan.endpoint
    handlers: dict[str, Handler] = {}
    if isinstance(endpoint, type):  # GenericAPI: a method per HTTP method, an instance per request
        for method in plan.methods:
            func = getattr(endpoint, method.lower())
            handlers[method] = _compile_method(plan, method, func, endpoint, _bind(plan, func, method=True))
    else:
        # The function @API() decorated, even if another decorator was stacked on top (copying `api` and setting
        # its own `__wrapped__` to @API's pass-through wrapper).
        func = endpoint.api.func
        binding = _bind(plan, func, method=False)
        for method in plan.methods:
            handlers[method] = _compile_method(plan, method, func, None, binding)
    return _with_middlewares(handlers, plan.middlewares, app)


def _bind(plan: EndpointPlan, func: Callable[..., Any], method: bool) -> Binding:
    return bind_parameters(func, plan.variables, plan.where, skip_first=method)


def _with_middlewares(handlers: dict[str, Handler], middlewares: list[type], app: Any) -> dict[str, Handler]:
    """Wrap an endpoint's handlers in its own middlewares: one chain per endpoint, around a method switch.

    OPTIONS goes through the chain too: upstream ran an endpoint's middlewares for every method, so a per-endpoint
    ``CORSMiddleware`` answered the browser's preflight.
    """
    if not middlewares or not handlers:
        return handlers
    by_method = {**handlers, "OPTIONS": options_answer(allowed_methods(handlers))}
    if "GET" in handlers:
        by_method["HEAD"] = handlers["GET"]

    async def by_method_dispatch(request: Request) -> Response:
        if request.body_error is not None:
            raise request.body_error
        return await finish_response(await by_method[request.method](request))  # middlewares get a Response

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


# --- One method -----------------------------------------------------------------------------------------------


def _compile_method(
    plan: EndpointPlan, method: str, func: Callable[..., Any], owner: type | None, binding: Binding
) -> Handler:
    """One method's handler, with only the steps the plan has for it (decided here, not per request).

    The body is read only by handlers that can use it (an endpoint taking the request, or a step that may read it):
    an endpoint that never sees the request ignores its body, as a server does with a body it does not need.
    """
    input_model = plan.options.input_model if method in _BODY_METHODS else None
    output_model = plan.options.output_model
    call = _make_call(func, owner, binding)
    core = _core_steps(plan, input_model)
    contributed = [step for step in plan.steps if _applies(step, method)]
    if not core and not contributed and output_model is None:
        return _reading_handler(call) if binding.request_names else call
    only_validation = not contributed and output_model is None and input_model is not None and len(core) == 1
    if only_validation and not needs_materializing_type(input_model):
        return _validating_handler(call, input_model)  # type: ignore[arg-type]  # the most common step, alone
    steps = [*core, *contributed]
    if output_model is None and not any(step.uses_response for step in steps):
        handler: Handler = call  # the result is finished by the app, as with no step
    else:
        handler = _call_and_finish(call, output_model)
    # By stage, then in order (the core's own first, then the plugins' in registration order): the first is the
    # outermost, so it runs first. sorted() is stable.
    for step in reversed(sorted(steps, key=lambda s: s.stage)):
        wrapped = step.wrap(handler)
        if not callable(wrapped):
            raise PantherError(f"A step of '{plan.where}' returned {wrapped!r} from wrap(); return the handler.")
        handler = wrapped
    if binding.request_names or any(step.reads_body for step in steps):
        return _reading_handler(handler)
    return handler


def _applies(step: Step, method: str) -> bool:
    return step.methods is None or method in step.methods


def _core_steps(plan: EndpointPlan, input_model: type[BaseModel] | None) -> list[Step]:
    steps = []
    if plan.authentication is not None:
        steps.append(Step(Stage.AUTHENTICATE, _authenticate(plan.authentication), uses_response=False))
    if plan.permissions:
        steps.append(Step(Stage.AUTHORIZE, _authorize(plan.permissions), uses_response=False))
    if input_model is not None:
        steps.append(Step(Stage.VALIDATE, _validate(input_model), uses_response=False))
    return steps


def _authenticate(auth: Callable[[Any], Awaitable[Any]]) -> Callable[[Handler], Handler]:
    def wrap(inner: Handler) -> Handler:
        async def authenticated(request: Request) -> Any:
            request.user = await auth(request)
            return await inner(request)

        return authenticated

    return wrap


def _authorize(permissions: list[Callable[[Any], Awaitable[Any]]]) -> Callable[[Handler], Handler]:
    def wrap(inner: Handler) -> Handler:
        async def authorized(request: Request) -> Any:
            for permission in permissions:
                # Deny unless the permission answers exactly True: a forgotten `return` must not grant access.
                if await permission(request) is not True:
                    raise AuthorizationAPIError
            return await inner(request)

        return authorized

    return wrap


def _validate(input_model: type[BaseModel]) -> Callable[[Handler], Handler]:
    # Validation that needs I/O finishes after it, e.g. panther-db's ModelSerializer loading references by id.
    materialize_input = needs_materializing_type(input_model)

    def wrap(inner: Handler) -> Handler:
        async def validated(request: Request) -> Any:
            request.validate_data(input_model)
            if materialize_input:
                request.validated_data = await materialize(request.validated_data)
            return await inner(request)

        return validated

    return wrap


def _call_and_finish(call: Callable[[Request], Awaitable[Any]], output_model: type[BaseModel] | None) -> Handler:
    """The endpoint call as the innermost stage: always a finished ``Response`` of the request's own, so steps can
    add headers."""

    if output_model is None:

        async def call_endpoint(request: Request) -> Response:
            result = await call(request)
            if type(result) in PLAIN_DATA:  # most results: nothing to finish
                return Response(result)
            return await finish_response(_own(result) if isinstance(result, Response) else result)

        return call_endpoint

    async def call_and_serialize(request: Request) -> Response:
        result = await call(request)
        response = _own(result) if isinstance(result, Response) else Response(result)
        data = await materialize(response.data)
        if data:  # the output model filters the page's items, before pagination wraps them
            data = await serialize_output(output_model, data)
        response.data = data
        return await finish_response(response)

    return call_and_serialize


def _own(response: Response) -> Response:
    """A copy of a ``Response`` the endpoint returned, for the steps to change: an endpoint may return the same
    object to every request (``return NO_CONTENT``), which must not collect every request's headers."""
    twin = copy.copy(response)
    headers = getattr(response, "_headers", None)
    if headers:
        twin._headers = dict(headers)
    cookies = getattr(response, "_cookies", None)
    if cookies:
        twin._cookies = list(cookies)
    return twin


def _reading_handler(call: Callable[[Request], Awaitable[Any]]) -> Handler:
    async def read_body_then_call(request: Request) -> Any:
        await request.read_body()
        return await call(request)

    return read_body_then_call


def _validating_handler(call: Callable[[Request], Awaitable[Any]], input_model: type[BaseModel]) -> Handler:
    async def validate_then_call(request: Request) -> Any:
        await request.read_body()
        request.validate_data(input_model)
        return await call(request)

    return validate_then_call


def per_request_callable(obj: Any) -> Callable[[Any], Awaitable[Any]]:
    """An auth or permission callable; a class is instantiated for every request, as upstream did.

    One shared instance would let two concurrent requests see each other's state when the class keeps any on
    ``self`` (e.g. ``self.request`` across an ``await``) — the impersonation upstream's per-request instances avoid.
    """
    if not isinstance(obj, type):
        return obj  # type: ignore[no-any-return,unused-ignore]
    cls = obj

    async def call_new_instance(request: Any) -> Any:
        return await cls()(request)

    return call_new_instance


def _make_call(func: Callable[..., Any], owner: type | None, binding: Binding) -> Callable[[Request], Awaitable[Any]]:
    """``call(request)`` → the awaitable of one endpoint call, with its arguments.

    ``call`` itself is a plain function returning the endpoint's coroutine, so awaiting it costs no extra
    coroutine per request; an endpoint whose only argument is its first parameter (``request`` or one path
    variable) gets it positionally, without a keyword dict. A sync endpoint runs in a worker thread so it cannot
    block other requests.
    """
    kwargs = binding.kwargs_builder() if binding.takes_arguments else None
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
    if binding.positional:
        if binding.request_names:
            return func
        ((name, cast),) = binding.casts
        if cast is None:
            return lambda request: func(request._path_variables[name])  # type: ignore[index]
        return lambda request: func(cast(request._path_variables[name]))  # type: ignore[index]
    return lambda request: func(**kwargs(request))
