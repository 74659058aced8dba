"""What a model field's annotation holds once ``Annotated[...]`` and ``| None`` are taken off."""

from __future__ import annotations

import types
from typing import Annotated, Any, Union, get_args, get_origin

__all__ = ["unwrap_optional"]


def unwrap_optional(annotation: Any) -> tuple[Any, bool]:
    """``Annotated[int | None, ...]`` → ``(int, True)``, ``int`` → ``(int, False)``.

    A union of several types other than ``None`` is returned as it is (with whether ``None`` was one of them).
    """
    optional = False
    while True:
        origin = get_origin(annotation)
        if origin is Annotated:
            annotation = get_args(annotation)[0]
        elif origin is Union or origin is types.UnionType:
            args = [arg for arg in get_args(annotation) if arg is not type(None)]
            optional = optional or len(args) < len(get_args(annotation))
            if len(args) != 1:
                return annotation, optional
            annotation = args[0]
        else:
            return annotation, optional
