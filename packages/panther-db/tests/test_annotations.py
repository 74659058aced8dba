"""``unwrap_optional``: what the panel's forms, ``ListAPI``'s filters and a model's layout read from a field."""

from __future__ import annotations

from typing import Annotated, Optional, Union

import pytest
from pydantic import Field

from panther.db.annotations import unwrap_optional


@pytest.mark.parametrize(
    ("annotation", "expected"),
    [
        (int, (int, False)),
        (int | None, (int, True)),
        (Optional[int], (int, True)),  # noqa: UP045 - the typing spelling too
        (Annotated[int | None, Field(gt=0)], (int, True)),
        (Annotated[int, Field(gt=0)] | None, (int, True)),
        (list[int] | None, (list[int], True)),
        (int | str, (int | str, False)),
        (Union[int, str, None], (Union[int, str, None], True)),  # noqa: UP007 - a real union stays as it is
    ],
)
def test_annotated_and_none_are_taken_off(annotation, expected) -> None:
    assert unwrap_optional(annotation) == expected
