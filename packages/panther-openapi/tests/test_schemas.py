"""``OutputSchema`` and ``output_schema=`` values: checked when the app is built, served docs or not."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from panther import Panther
from panther.app import API, GenericAPI
from panther.exceptions import PantherError
from panther.openapi import OutputSchema

Build = Callable[..., Panther]


def test_output_schema_keeps_upstreams_arguments() -> None:
    schema = OutputSchema(dict, 201, exclude_in_docs=True, tags="books", deprecated=True)
    assert (schema.model, schema.status_code, schema.exclude_in_docs, schema.tags, schema.deprecated) == (
        dict,
        201,
        True,
        ["books"],
        True,
    )
    assert OutputSchema().tags is None
    assert repr(OutputSchema(status_code=204)) == "OutputSchema(status_code=204)"


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [({"status_code": 99}, "HTTP status"), ({"status_code": True}, "HTTP status"), ({"tags": [1]}, "tags")],
)
def test_bad_output_schema_arguments(kwargs: dict[str, Any], message: str) -> None:
    with pytest.raises(PantherError, match=message):
        OutputSchema(**kwargs)


@pytest.mark.parametrize(
    ("output_schema", "message"),
    [
        ({"model": dict}, "names 'model', which is not one of its methods"),  # upstream's kwargs as a dict
        ("BookOut", "must be an OutputSchema .* or a mapping"),
        ({"POST": OutputSchema()}, r"names 'POST', which is not one of its methods \(GET\)"),
        ({"GET": dict}, r"output_schema\['GET'\] must be an OutputSchema"),
    ],
)
def test_bad_output_schema_values_are_startup_errors_naming_the_route(
    make_app: Build, output_schema: Any, message: str
) -> None:
    # The docs are not mounted: the values are checked all the same.
    @API(methods=["GET"], output_schema=output_schema)
    async def books() -> None: ...

    with pytest.raises(PantherError, match=f"'books/': .*{message}"):
        make_app({"books": books})


def test_generic_api_class_attribute_is_checked(make_app: Build) -> None:
    class Books(GenericAPI):
        output_schema = {"DELETE": OutputSchema()}

        async def get(self) -> None: ...

    with pytest.raises(PantherError, match="'DELETE'"):
        make_app({"books": Books})
