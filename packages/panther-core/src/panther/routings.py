"""URL routing: validate nested URL dicts at startup and resolve request paths against a precomputed table.

URLs are nested dicts of ``prefix -> endpoint | dict``; ``'books/'``, ``'/books'`` and ``'books'`` are the same key,
``''`` is the root and ``<name>`` is a path variable filling a whole segment. Segments are made of letters, digits,
``_``, ``-`` and ``.`` (``openapi.json``), but never of dots alone. Fully static paths are answered by one
dict lookup whatever the number of routes; paths with variables walk a segment tree that tries static segments
first and falls back to a variable when a static branch dead-ends.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from types import ModuleType
from typing import TYPE_CHECKING, Any, Generic, TypeVar

from panther.exceptions import APIError, MethodNotAllowedAPIError, PantherError, UpgradeRequiredError
from panther.response import Response

if TYPE_CHECKING:
    from panther.plan import EndpointPlan, Handler
    from panther.request import Request

R = TypeVar("R")

# Dots are allowed inside a segment (`openapi.json`, `robots.txt`), but a segment is never only dots: clients
# resolve `.` and `..` away before sending a request, so such a route could never be reached.
_ALLOWED = re.compile(r"^[a-zA-Z0-9_.<>/-]*$")
_VARIABLE = re.compile(r"^<([a-zA-Z_][a-zA-Z0-9_]*)>$")


def normalize(key: str) -> str:
    """``'/books/'`` → ``'books'``; the root is ``''``."""
    return key.strip("/")


def join(prefix: str, key: str) -> str:
    key = normalize(key)
    return f"{prefix}/{key}" if prefix and key else prefix or key


def flatten_urls(urls: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    """Flatten and validate a nested URL dict into ``{'books/<id>': endpoint}``.

    Raises ``PantherError`` naming the URL for bad characters, malformed variables, invalid endpoints and
    duplicates. ``{}`` reserves a prefix without routing anything.
    """
    if not isinstance(urls, Mapping):
        raise PantherError(f"URLs must be a dict of path → endpoint, got {type(urls).__name__}.")
    flat: dict[str, Any] = {}
    for key, endpoint in urls.items():
        if not isinstance(key, str):
            raise PantherError(f"URL keys must be strings, got {key!r} under '{prefix}/'.")
        path = join(prefix, key)
        _check_path(path)
        if isinstance(endpoint, Mapping):
            nested = flatten_urls(endpoint, path)
            for sub_path, sub_endpoint in nested.items():
                _add(flat, sub_path, sub_endpoint)
            continue
        if endpoint is None or endpoint is ... or isinstance(endpoint, ModuleType):
            raise PantherError(f"URL '{path}/' points to {endpoint!r}, which is not an endpoint.")
        _add(flat, path, endpoint)
    return flat


def _add(flat: dict[str, Any], path: str, endpoint: Any) -> None:
    if path in flat:
        raise PantherError(f"URL '{path}/' is defined twice.")
    flat[path] = endpoint


def _check_path(path: str) -> None:
    if not _ALLOWED.match(path):
        raise PantherError(
            f"URL '{path}/' has characters that are not allowed; use letters, digits, '_', '-', '.', '/' and "
            "<variables>."
        )
    for segment in path.split("/"):
        if segment and not segment.strip("."):
            raise PantherError(f"URL '{path}/': a segment cannot be only dots ('.', '..').")
        if ("<" in segment or ">" in segment) and not _VARIABLE.match(segment):
            raise PantherError(f"URL '{path}/': path variables look like `<name>` and fill a whole segment.")


class Route:
    """One URL of the route table: the endpoint, the scope type it serves and its handlers.

    For HTTP, ``handlers`` maps each method to its compiled handler (HEAD follows GET, OPTIONS is answered with
    ``Allow``); a route of another scope type (built by a plugin) maps its scope type to the plugin's handler, of any
    signature the plugin chooses, e.g. ``{"websocket": connect}``, and answers HTTP requests with 426. ``plan`` is
    the endpoint's plan, for plugins that describe the app (``None`` when the plugin that built the route made none).
    """

    __slots__ = ("allow", "endpoint", "handlers", "path", "plan", "scope_type")

    def __init__(
        self,
        path: str,
        endpoint: Any,
        handlers: Mapping[str, Handler | Callable[..., Any]],
        scope_type: str = "http",
        plan: EndpointPlan | None = None,
    ) -> None:
        handlers = dict(handlers)  # the route's own table: HEAD and OPTIONS are added below
        self.path = path
        self.endpoint = endpoint
        self.scope_type = scope_type
        self.plan = plan
        if scope_type == "http":
            self.allow = allowed_methods(handlers)
            if "GET" in handlers:
                handlers.setdefault("HEAD", handlers["GET"])
            handlers.setdefault("OPTIONS", options_answer(self.allow))
        else:
            self.allow = ""
        self.handlers: dict[str, Any] = handlers

    def refuse(self) -> APIError:
        """The error for a method this route does not answer: 426 on a WebSocket route, else 405 with ``Allow``."""
        if self.scope_type != "http":
            return UpgradeRequiredError()
        return MethodNotAllowedAPIError(headers={"Allow": self.allow})

    def __repr__(self) -> str:
        return f"<Route {self.path or '/'!r} {self.scope_type} {sorted(self.handlers)}>"


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


def variable_names(path: str) -> tuple[str, ...]:
    return tuple(m.group(1) for segment in path.split("/") if (m := _VARIABLE.match(segment)))


class _Node(Generic[R]):
    __slots__ = ("route", "static", "variable")

    def __init__(self) -> None:
        self.static: dict[str, _Node[R]] = {}
        self.variable: _Node[R] | None = None
        self.route: tuple[R, tuple[tuple[int, str], ...]] | None = None


class Router(Generic[R]):
    """Resolve paths to routes built from a flat URL dict.

    ``build(path, endpoint)`` turns each URL into the route object stored in the table (the app compiles handlers
    there). Two URLs of the same shape (``a/<x>`` and ``a/<y>``) are ambiguous and rejected.
    """

    __slots__ = ("routes", "static", "tail_variable", "tree")

    def __init__(self, flat_urls: Mapping[str, Any], build: Callable[[str, Any], R]) -> None:
        self.static: dict[str, tuple[R, dict[str, str]]] = {}
        # Routes whose only variable is their last segment (`users/<id>`), by their static prefix (`users`).
        self.tail_variable: dict[str, tuple[R, str]] = {}
        self.tree: _Node[R] = _Node()
        self.routes: dict[str, R] = {}
        shapes: dict[tuple[str, ...], str] = {}
        for path, endpoint in flat_urls.items():
            segments = tuple(path.split("/")) if path else ()
            shape = tuple("<>" if _VARIABLE.match(s) else s for s in segments)
            if shape in shapes:
                raise PantherError(
                    f"URLs '{shapes[shape]}/' and '{path}/' are ambiguous: same-level path variables "
                    "cannot tell them apart."
                )
            shapes[shape] = path
            route = build(path, endpoint)
            self.routes[path] = route
            variables = tuple((i, m.group(1)) for i, s in enumerate(segments) if (m := _VARIABLE.match(s)))
            if not variables:
                self.static[path] = (route, {})
            elif len(variables) == 1 and variables[0][0] == len(segments) - 1:
                self.tail_variable["/".join(segments[:-1])] = (route, variables[0][1])
            node = self.tree
            for segment in shape:
                if segment == "<>":
                    node.variable = node.variable or _Node()
                    node = node.variable
                else:
                    node = node.static.setdefault(segment, _Node())
            node.route = (route, variables)

    def match(self, path: str) -> tuple[R, dict[str, str]] | None:
        """Return ``(route, path_variables)`` for a request path, or ``None``. Trailing slashes are optional.

        The empty dict returned for a static route is shared by every request to it: copy it before changing it.
        """
        key = path.strip("/")
        found = self.static.get(key)
        if found is not None:
            return found
        # `users/<id>`: one dict lookup too. The tree walk would find the same route: its static segments are
        # tried first, and a fully static match was ruled out above.
        prefix, _, last = key.rpartition("/")
        tail = self.tail_variable.get(prefix)
        if tail is not None and last:
            return tail[0], {tail[1]: last}
        segments = key.split("/") if key else []
        # A greedy walk (static segment first, else the variable) finds almost every route; only when it dead-ends
        # does the backtracking search run.
        node = self.tree
        result = None
        for segment in segments:
            child = node.static.get(segment)
            if child is None:
                child = node.variable if segment else None
                if child is None:
                    break
            node = child
        else:
            result = node.route
        if result is None:
            result = _walk(self.tree, segments, 0)
            if result is None:
                return None
        route, variables = result
        if len(variables) == 1:  # the common case, without building a comprehension
            ((index, name),) = variables
            return route, {name: segments[index]}
        return route, {name: segments[index] for index, name in variables}

    def __iter__(self) -> Iterator[tuple[str, R]]:
        return iter(self.routes.items())


def _walk(node: _Node[R], segments: list[str], index: int) -> tuple[R, tuple[tuple[int, str], ...]] | None:
    if index == len(segments):
        return node.route
    segment = segments[index]
    child = node.static.get(segment)
    if child is not None:
        found = _walk(child, segments, index + 1)
        if found is not None:
            return found
    if node.variable is not None and segment:
        return _walk(node.variable, segments, index + 1)
    return None
