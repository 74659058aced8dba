"""What the document reads from an endpoint object: its function per method, name, docstring and annotations.

Only the objects are inspected (signatures, annotations, docstrings), never the handler's source.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Any

__all__ = ["docstring", "endpoint_function", "endpoint_name", "evaluated_annotations"]


def endpoint_function(endpoint: Any, method: str) -> Callable[..., Any] | None:
    """The function answering ``method``: an ``@API`` function, a ``GenericAPI`` method (``get``, ``post``, …), or
    for a WebSocket class its ``connect``; ``None`` when there is none to inspect."""
    if isinstance(endpoint, type):
        func = getattr(endpoint, method.lower(), None)
        return func if callable(func) else None
    api = getattr(endpoint, "api", None)
    func = getattr(api, "func", None)
    if callable(func):
        return func  # type: ignore[no-any-return,unused-ignore]
    return endpoint if callable(endpoint) else None


def endpoint_name(endpoint: Any) -> str:
    return str(getattr(endpoint, "__name__", None) or type(endpoint).__name__)


def docstring(endpoint: Any, func: Callable[..., Any] | None) -> tuple[str | None, str | None]:
    """``(summary, description)``: the first line of the function's (else the class's own) docstring, and the
    rest."""
    doc = getattr(func, "__doc__", None) if func is not None else None
    if not doc and isinstance(endpoint, type):
        doc = endpoint.__dict__.get("__doc__")  # the class's own: GenericAPI's docstring is not the endpoint's
    if not doc or not doc.strip():
        return None, None
    lines = inspect.cleandoc(doc).splitlines()
    summary = lines[0].strip()
    description = "\n".join(lines[1:]).strip()
    return summary, description or None


def evaluated_annotations(func: Callable[..., Any] | None) -> dict[str, Any]:
    """The evaluated annotations of ``func`` (``'return'`` included); one that cannot be evaluated is left out.

    Evaluated one by one when a single name cannot be resolved (``Request`` imported under ``TYPE_CHECKING``), so
    it does not hide the others.
    """
    if func is None:
        return {}
    try:
        return dict(inspect.get_annotations(func, eval_str=True))
    except Exception:
        pass
    try:
        raw = inspect.get_annotations(func)
    except Exception:
        return {}
    namespace = getattr(inspect.unwrap(func), "__globals__", {})
    result: dict[str, Any] = {}
    for name, annotation in raw.items():
        if isinstance(annotation, str):
            try:
                annotation = eval(annotation, namespace)  # what get_annotations(eval_str=True) does, per name
            except Exception:
                continue
        result[name] = annotation
    return result
