"""``ModelSerializer``: pydantic models generated from database models (``from panther.serializer import ...``)."""

from panther.serializer.model_serializer import ModelSerializer

__all__ = ["ModelSerializer"]
