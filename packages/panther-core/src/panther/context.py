"""Which app is running the current code: ``current_app()`` for plugins whose APIs have no app argument.

Model classes, for example, are defined once at module level but each app has its own database; they find it
through the app serving the current request (or running its lifespan). Outside of both (a script, a test body),
the app whose lifespan started most recently answers.
"""

from __future__ import annotations

from contextvars import ContextVar
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from panther.main import Panther
    from panther.response import RenderContext

_current: ContextVar[Panther | None] = ContextVar("panther_current_app", default=None)
# The fallback for code that runs outside a request or lifespan; replaced by each app as it starts.
_started: list[Panther] = []


def current_app() -> Panther:
    """The app serving this request or lifespan, else the most recently started (or built) app."""
    app = _current.get()
    if app is not None:
        return app
    if _started:
        return _started[-1]
    raise RuntimeError("No Panther app is running: build one with Panther(...) first.")


def current_render_context() -> RenderContext | None:
    """The render context (JSON encoders, templates) of the current app, if there is one."""
    app = _current.get() or (_started[-1] if _started else None)
    return app.render_context if app is not None else None


def set_current_app(app: Panther) -> object:
    """Make ``app`` current in this context; returns a token for ``reset_current_app``."""
    return _current.set(app)


def reset_current_app(token: object) -> None:
    _current.reset(token)  # type: ignore[arg-type]


def mark_started(app: Panther) -> None:
    """Remember ``app`` as the fallback for code outside any request (called when an app is built and started)."""
    if _started:
        _started[0] = app
    else:
        _started.append(app)
