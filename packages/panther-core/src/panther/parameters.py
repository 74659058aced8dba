"""Binding an endpoint's parameters: which path variables it takes (cast by annotation) and where the request goes.

One binding serves every scope type: ``@API`` functions, ``GenericAPI`` methods and plugin-built routes (e.g. a
WebSocket's ``connect(self, seat: int)``) are bound by ``bind_parameters`` when the app is built, and the result
builds each call's arguments from the raw path variables. A value that does not cast raises
``InvalidPathVariableAPIError`` (400).
"""

from __future__ import annotations

import inspect
import re
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from panther.base_request import BaseRequest
from panther.exceptions import InvalidPathVariableAPIError, PantherError

__all__ = ["Binding", "bind_parameters", "caster"]

Cast = Callable[[str], Any]


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


#: Casts by annotation, besides int (see caster); a ValueError means "not that type".
_CASTS: dict[Any, Cast] = {float: _to_float, bool: _to_bool, uuid.UUID: uuid.UUID}


def caster(name: str, annotation: Any) -> Cast | None:
    """The function casting path variable ``name`` to ``annotation`` (``None``: kept as the raw string)."""
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


@dataclass(frozen=True, slots=True)
class Binding:
    """How to call one function: its path variables with their casts, and the names it takes the request under.

    ``positional`` is set when the function's only argument is its first parameter (the request, or one path
    variable): it can then be passed positionally, without a keyword dict.
    """

    casts: tuple[tuple[str, Cast | None], ...]
    request_names: tuple[str, ...]
    positional: bool

    @property
    def takes_arguments(self) -> bool:
        return bool(self.casts or self.request_names)

    def arguments(self, variables: Mapping[str, str], request: Any = None) -> dict[str, Any]:
        """The keyword arguments of one call: cast path variables, and ``request`` under each of its names."""
        result = {name: (cast(variables[name]) if cast else variables[name]) for name, cast in self.casts}
        for name in self.request_names:
            result[name] = request
        return result

    def kwargs_builder(self) -> Callable[[Any], dict[str, Any]]:
        """``build(request) -> kwargs``, reading the request's path variables; specialised for the common shapes
        because it runs on every request."""
        casts, request_names = self.casts, self.request_names
        if not casts and len(request_names) == 1:
            (request_name,) = request_names
            return lambda request: {request_name: request}
        if len(casts) == 1 and not request_names:
            ((name, cast),) = casts
            if cast is None:
                return lambda request: {name: request._path_variables[name]}
            return lambda request: {name: cast(request._path_variables[name])}
        return lambda request: self.arguments(request.path_variables, request)


def bind_parameters(
    func: Callable[..., Any], variables: tuple[str, ...], where: str, *, skip_first: bool = False
) -> Binding:
    """Bind ``func``'s parameters to the path variables of route ``where`` (``skip_first``: a method's ``self``).

    Every path variable must be a parameter of ``func`` (or be caught by ``**kwargs``): upstream passed them all
    by name, so a missing one was a ``TypeError`` on every request; here it is a startup error. A parameter that
    is neither a path variable, the request (annotated with a ``BaseRequest`` subclass or named ``request``), nor
    optional is a startup error too.
    """
    signature = inspect.signature(func)
    request_names: list[str] = []
    casts: list[tuple[str, Cast | None]] = []
    takes_all = False
    params = list(signature.parameters.values())
    if skip_first and params:  # a method: its first parameter is the instance, whatever its name
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
            casts.append((param.name, caster(param.name, annotation)))
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
    only = [*request_names, *(name for name, _ in casts)]
    first = _first_parameter(params)
    return Binding(tuple(casts), tuple(request_names), positional=len(only) == 1 and first == only[0])


def _first_parameter(params: list[inspect.Parameter]) -> str | None:
    """The name of the first parameter if it can be passed positionally."""
    for param in params:
        if param.kind in (param.POSITIONAL_ONLY, param.POSITIONAL_OR_KEYWORD):
            return param.name
        return None
    return None
