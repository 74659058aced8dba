"""Generic class-based views over models: ``RetrieveAPI``, ``ListAPI``, ``CreateAPI``, ``UpdateAPI``, ``DeleteAPI``
(``from panther.generics import ListAPI``)."""

from panther.generics.instances import CreateAPI, DeleteAPI, RetrieveAPI, UpdateAPI
from panther.generics.listing import ListAPI

__all__ = ["CreateAPI", "DeleteAPI", "ListAPI", "RetrieveAPI", "UpdateAPI"]
