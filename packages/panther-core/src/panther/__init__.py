"""Panther: a fast async ASGI framework for HTTP APIs, extended by plugins.

``panther`` is a namespace shared by several distributions: panther-core ships this file and the core modules,
plugins (panther-db, panther-ws, ...) ship whole sub-packages next to them. ``extend_path`` lets Python find
those sub-packages wherever each distribution is installed.
"""

__path__ = __import__("pkgutil").extend_path(__path__, __name__)

from importlib import metadata as _metadata
from typing import TYPE_CHECKING, Any

try:
    __version__ = _metadata.version("panther-core")
except _metadata.PackageNotFoundError:  # running from a source tree that was never installed
    __version__ = "0+unknown"

if TYPE_CHECKING:
    from panther import status
    from panther.main import Panther

__all__ = ["Panther", "__version__", "status", "version"]


def version() -> str:
    """Return the installed panther-core version."""
    return __version__


def __getattr__(name: str) -> Any:
    # Imported lazily so that `import panther.db` (or any plugin) does not pull in the whole HTTP core.
    if name == "Panther":
        from panther.main import Panther

        return Panther
    if name == "status":
        import importlib

        return importlib.import_module("panther.status")
    raise AttributeError(f"module 'panther' has no attribute {name!r}")
