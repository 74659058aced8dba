"""Which app is running the current code: ``current_app()`` for plugins whose APIs have no app argument.

Model classes, for example, are defined once at module level but each app has its own database; they find it
through the app serving the current request (or running its lifespan, or being built: code run by ``Panther(...)``,
such as its URL modules and plugin hooks). Outside of these (a script, a test body), the app built or started most
recently answers.
"""

from __future__ import annotations

from contextvars import ContextVar
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from panther.main import Panther
    from panther.response import RenderContext

_current: ContextVar[Panther | None] = ContextVar("panther_current_app", default=None)


class _Fallback:
    """The app answering for code outside any request or lifespan (upstream compatibility: scripts and tests call
    models and ``panther.configs.config`` with no app in context): the app built or started most recently, as
    upstream's global config was. The request path and the plugins' own state never depend on it."""

    __slots__ = ("app",)

    def __init__(self) -> None:
        self.app: Panther | None = None

    def get(self) -> Panther | None:
        return self.app


_fallback = _Fallback()


def current_app() -> Panther:
    """The app serving this request or lifespan (or being built), else the app built or started most recently."""
    app = _current.get() or _fallback.get()
    if app is None:
        raise RuntimeError("No Panther app is running: build one with Panther(...) first.")
    return app


def current_render_context() -> RenderContext | None:
    """The render context (JSON encoders, templates) of the current app, if there is one."""
    app = _current.get() or _fallback.get()
    return app.render_context if app is not None else None


def set_current_app(app: Panther) -> object:
    """Make ``app`` current in this context; returns a token for ``reset_current_app``."""
    return _current.set(app)


def reset_current_app(token: object) -> None:
    _current.reset(token)  # type: ignore[arg-type]


def mark_current(app: Panther) -> None:
    """Make ``app`` the fallback for code outside any request (called when an app is built and when it starts)."""
    _fallback.app = app
