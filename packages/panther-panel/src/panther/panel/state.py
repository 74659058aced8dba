"""The panel's per-app state: its templates, the models it manages and where it is mounted (``app.stash[PANEL]``)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from panther.exceptions import PantherError
from panther.importing import import_object
from panther.stash import StashKey

if TYPE_CHECKING:
    import jinja2

    from panther.main import Panther

__all__ = ["PANEL", "PanelState", "models_of", "panel_state", "read_panel_models"]

TEMPLATES_DIR = Path(__file__).parent / "templates"
STATIC_DIR = Path(__file__).parent / "static"


@dataclass(slots=True)
class PanelState:
    """What the panel's views need, prepared when the app is built."""

    templates: jinja2.Environment
    #: ``PANEL_MODELS`` as classes; ``None``: the app's own models, found once its routes are built.
    configured: tuple[type[Any], ...] | None
    #: The managed models; a model's position is its ``<index>`` in the panel's URLs.
    models: tuple[type[Any], ...] = ()
    #: The URL the panel is mounted at, with slashes (``/panel/``); set once the routes are built.
    prefix: str = "/"
    #: A hash checked when a login names nobody, so that answer takes as long as a wrong password (made once).
    dummy_hash: str | None = None


PANEL = StashKey[PanelState]("panel")


def panel_state(app: Panther | None) -> PanelState:
    state = None if app is None else app.stash.get(PANEL)
    if state is None:
        raise PantherError("The panel's views need the `panel` plugin (panther-panel) enabled for this app.")
    return state


def read_panel_models(value: Any) -> tuple[type[Any], ...] | None:
    """``PANEL_MODELS``: a list of ``panther.db.Model`` classes or dotted paths; ``None`` means the default."""
    from panther.db.models import Model

    if value is None:
        return None
    if isinstance(value, str | bytes) or not hasattr(value, "__iter__"):
        raise PantherError(f"PANEL_MODELS must be a list of models (classes or dotted paths), not {value!r}.")
    models: list[type[Any]] = []
    for item in value:
        model = import_object(item, "PANEL_MODELS") if isinstance(item, str) else item
        if not (isinstance(model, type) and issubclass(model, Model)):
            raise PantherError(f"PANEL_MODELS: {item!r} is not a panther.db.Model subclass.")
        if model not in models:
            models.append(model)
    return tuple(models)


def models_of(app: Panther) -> tuple[type[Any], ...]:
    """The models ``app`` uses: those its routes read or write (``input_model``/``output_model``, a
    ``ModelSerializer``'s model, an endpoint's ``model``) and ``USER_MODEL`` — never every model ever imported."""
    from panther.db.models import Model

    found: list[type[Any]] = []

    def add(candidate: Any) -> None:
        for value in (candidate, getattr(candidate, "model", None)):
            if isinstance(value, type) and issubclass(value, Model) and value not in found:
                found.append(value)

    for route in app.routes:
        plan = route.plan
        if plan is None:
            continue
        options = plan.options
        add(getattr(options, "input_model", None))
        add(getattr(options, "output_model", None))
        add(getattr(route.endpoint, "model", None))
    add(app.config.get("USER_MODEL"))
    return tuple(found)
