"""The plugin's settings, its per-app state and the worker-count warning."""

from __future__ import annotations

import logging
from typing import Any

import pytest

from panther.exceptions import PantherError
from panther.test import WebsocketClient
from panther.websocket import GenericWebsocket
from panther.websocket.state import WEBSOCKETS
from panther.websocket.workers import configured_workers


class Echo(GenericWebsocket):
    async def connect(self) -> None:
        await self.accept()


def test_settings_and_state(panther_app_factory: Any) -> None:
    app = panther_app_factory(urls={"echo": Echo})
    assert app.config.WS_AUTHENTICATION is None and app.config.WS_REDIS_CHANNEL == "panther:websocket"
    state = app.stash[WEBSOCKETS]
    assert app.scope_handlers["websocket"] is state.server and len(state.connections) == 0


@pytest.mark.parametrize("channel", ["", None, 5])
def test_a_bad_channel_is_a_startup_error(panther_app_factory: Any, channel: Any) -> None:
    with pytest.raises(PantherError, match="WS_REDIS_CHANNEL"):
        panther_app_factory(configs={"WS_REDIS_CHANNEL": channel})


def test_the_misspelled_ws_middleware_setting_is_not_ignored(panther_app_factory: Any) -> None:
    with pytest.raises(PantherError, match="did you mean WS_MIDDLEWARES"):
        panther_app_factory(configs={"WS_MIDDLEWARE": []})


def test_ws_authentication_without_the_plugin_names_it(panther_app_factory: Any) -> None:
    with pytest.raises(PantherError, match=r"`WS_AUTHENTICATION`.*`panther-ws`"):
        panther_app_factory(configs={"WS_AUTHENTICATION": "x.y"}, disable_plugins=["ws"])


@pytest.mark.parametrize(
    ("argv", "environ", "expected"),
    [
        (["uvicorn", "main:app"], {}, 1),
        (["uvicorn", "main:app", "--workers", "4"], {}, 4),
        (["uvicorn", "main:app", "--workers=3"], {}, 3),
        (["gunicorn", "-w", "2", "main:app"], {}, 2),
        (["gunicorn", "-w8", "main:app"], {}, 8),
        (["uvicorn", "main:app"], {"WEB_CONCURRENCY": "5"}, 5),
        (["uvicorn", "main:app", "--workers"], {"WEB_CONCURRENCY": "x"}, 1),
    ],
)
def test_configured_workers(argv: list[str], environ: dict[str, str], expected: int) -> None:
    assert configured_workers(argv, environ) == expected


async def test_several_workers_without_redis_warn(
    panther_app_factory: Any, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setenv("WEB_CONCURRENCY", "3")
    with caplog.at_level(logging.WARNING, logger="panther"):
        async with WebsocketClient(panther_app_factory(urls={"echo": Echo})) as client:
            await client.startup()
        async with WebsocketClient(panther_app_factory(urls={})) as client:  # no WebSocket route: nothing to say
            await client.startup()
    assert caplog.text.count("3 workers and no REDIS") == 1
