"""``OutputSchema``: what an endpoint's documentation says about its response (the ``output_schema=`` option).

It only documents; it changes nothing about what the endpoint sends (``output_model=`` does that).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from panther.exceptions import PantherError

__all__ = ["OutputSchema", "output_schemas"]


class OutputSchema:
    """The documented response of an endpoint::

        @API(output_schema=OutputSchema(model=BookOut, status_code=201, tags=["books"]))

    ``model`` is a pydantic model or any type pydantic can describe (``list[BookOut]``); ``None`` documents the
    status code with no particular body. ``status_code`` defaults to 200. ``exclude_in_docs`` leaves the endpoint
    out of the document; ``tags`` (a name or a list) group it in the UIs (default: the first segment of its URL);
    ``deprecated`` marks it deprecated.

    An endpoint whose methods answer differently takes a mapping of method to ``OutputSchema``:
    ``output_schema={"GET": OutputSchema(list[Book]), "POST": OutputSchema(Book, status_code=201)}``.
    """

    __slots__ = ("deprecated", "exclude_in_docs", "model", "status_code", "tags")

    def __init__(
        self,
        model: Any = None,
        status_code: int | None = None,
        exclude_in_docs: bool = False,
        tags: str | Iterable[str] | None = None,
        deprecated: bool = False,
    ) -> None:
        if status_code is not None and (
            isinstance(status_code, bool) or not isinstance(status_code, int) or not 100 <= status_code <= 599
        ):
            raise PantherError(f"OutputSchema: `status_code` must be an HTTP status (100-599), got {status_code!r}.")
        if isinstance(tags, str):
            tags = [tags]
        tags = list(tags) if tags is not None else None
        if tags is not None and not all(isinstance(tag, str) and tag for tag in tags):
            raise PantherError(f"OutputSchema: `tags` must be a name or a list of names, got {tags!r}.")
        self.model = model
        self.status_code = status_code
        self.exclude_in_docs = bool(exclude_in_docs)
        self.tags: list[str] | None = tags
        self.deprecated = bool(deprecated)

    def __repr__(self) -> str:
        fields = ", ".join(
            f"{name}={getattr(self, name)!r}"
            for name in ("model", "status_code", "exclude_in_docs", "tags", "deprecated")
            if getattr(self, name) not in (None, False)
        )
        return f"OutputSchema({fields})"


def output_schemas(output_schema: Any, methods: Iterable[str], where: str) -> dict[str, OutputSchema]:
    """The ``OutputSchema`` of each method of an endpoint declaring ``output_schema`` (``where`` names its route).

    Raises ``PantherError`` for a value that is neither an ``OutputSchema`` nor a mapping of the endpoint's
    methods to one.
    """
    methods = tuple(methods)
    if output_schema is None:
        return {}
    if isinstance(output_schema, OutputSchema):
        return dict.fromkeys(methods, output_schema)
    if isinstance(output_schema, Mapping):
        result = {}
        for key, value in output_schema.items():
            method = str(key).upper()
            if method not in methods:
                raise PantherError(
                    f"'{where}': output_schema names {key!r}, which is not one of its methods ({', '.join(methods)})."
                )
            if not isinstance(value, OutputSchema):
                raise PantherError(f"'{where}': output_schema[{key!r}] must be an OutputSchema, got {value!r}.")
            result[method] = value
        return result
    raise PantherError(
        f"'{where}': output_schema must be an OutputSchema (from panther.openapi) or a mapping of HTTP method to "
        f"OutputSchema, got {output_schema!r}."
    )
