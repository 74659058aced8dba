"""The panel's URLs, upstream's import path: mount them under a prefix (``urls = {"panel/": url_routing}``)."""

from __future__ import annotations

from typing import Any

from panther.panel.views import (
    CreateView,
    DeleteView,
    DetailView,
    HomeView,
    LoginView,
    LogoutView,
    PanelStatic,
    TableView,
)

__all__ = ["url_routing"]

url_routing: dict[str, Any] = {
    "": HomeView,
    "login/": LoginView,
    "logout/": LogoutView,
    "static/<name>": PanelStatic,
    "<index>/": TableView,
    "<index>/create/": CreateView,
    "<index>/<document_id>/": DetailView,
    "<index>/<document_id>/delete/": DeleteView,
}
