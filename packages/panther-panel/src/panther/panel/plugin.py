"""The ``panel`` plugin: reads ``PANEL_MODELS`` and prepares the panel's templates when the app is built, then —
once every route is compiled — finds where the panel is mounted and which models it manages (``app.stash[PANEL]``).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from panther.panel.state import PANEL, TEMPLATES_DIR, PanelState, models_of, read_panel_models
from panther.plugins import hookimpl
from panther.templates import build_environment

if TYPE_CHECKING:
    from panther.configs import Config
    from panther.main import Panther


@hookimpl
def panther_config_defaults() -> Mapping[str, Any]:
    return {"PANEL_MODELS": None}


@hookimpl
def panther_configure(app: Panther, config: Config) -> None:
    # The core's template environment (autoescaped), over this package's templates only.
    templates = build_environment([TEMPLATES_DIR])
    app.stash[PANEL] = PanelState(templates=templates, configured=read_panel_models(config.PANEL_MODELS))


@hookimpl
def panther_app_built(app: Panther) -> None:
    from panther.panel.views import HomeView

    state = app.stash[PANEL]
    state.models = state.configured if state.configured is not None else models_of(app)
    for route in app.routes:
        endpoint = route.endpoint
        if route.scope_type == "http" and isinstance(endpoint, type) and issubclass(endpoint, HomeView):
            state.prefix = f"/{route.path}/" if route.path else "/"
            break
