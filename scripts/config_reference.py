"""Write docs/reference/configuration.md from the defaults the core and every installed plugin declare.

The keys and their defaults come from ``panther.configs.CORE_DEFAULTS`` and each plugin's
``panther_config_defaults`` hook, so the page cannot drift from the code; only the one-line meanings are written
here. ``python scripts/config_reference.py`` rewrites the page; ``--check`` exits 1 when it is stale (a test runs
that). Run it where every plugin is installed (the default hatch env).
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import Any

PAGE = Path(__file__).resolve().parent.parent / "docs" / "reference" / "configuration.md"

#: What each key means. A key a plugin declares without a line here fails the generation (and so the test).
MEANINGS: dict[str, str] = {
    "BASE_DIR": "Directory relative paths are read from; default: the directory of the module named in "
    "`Panther(name)`.",
    "URLs": "The URL table as a dotted path to a dict, when `Panther(urls=...)` is not given.",
    "SECRET_KEY": "The app's secret: JWT keys are derived from it; a Fernet key when PantherDB encryption is on.",
    "MIDDLEWARES": "Global HTTP middlewares (classes or dotted paths, outermost first).",
    "WS_MIDDLEWARES": "Global WebSocket middlewares.",
    "AUTHENTICATION": "Authentication of every HTTP endpoint whose `auth` is not set (a class, async function or "
    "dotted path).",
    "TIMEZONE": "Zone of `panther.utils.timezone_now()` and of background tasks' `.at()` / `.on()`.",
    "TEMPLATES_DIR": "Where `TemplateResponse(name=...)` looks for Jinja2 templates (one directory or a list).",
    "MAX_REQUEST_BODY_SIZE": "Largest body read, in bytes (10 MiB); beyond it the answer is 413. `None`: no limit.",
    "DISABLED_PLUGINS": "Names of installed plugins this app does not load.",
    "LOG_LEVEL": "Level of the `panther` loggers.",
    "LOG_FILE": "A file the `panther` logger also writes to.",
    "MONITORING_LOG_FILE": "A file the monitoring middlewares write one line per request to.",
    "ALLOW_ORIGINS": "CORS: origins allowed (`CORSMiddleware`).",
    "ALLOW_METHODS": "CORS: methods allowed.",
    "ALLOW_HEADERS": "CORS: request headers allowed.",
    "ALLOW_CREDENTIALS": "CORS: send `Access-Control-Allow-Credentials` (refused with `ALLOW_ORIGINS = ['*']`).",
    "EXPOSE_HEADERS": "CORS: response headers exposed to the browser.",
    "CORS_MAX_AGE": "CORS: seconds a preflight answer may be cached.",
    "REDIS": "The app's shared `redis.asyncio` client (`{'url': 'redis://…'}` or its keyword arguments): "
    "what makes WebSockets, scheduled tasks, revocations, throttles and caches cluster-wide.",
    "DATABASE": "`{'engine': {'class': 'pantherdb', **options}}` (or `'mongodb'`, or an engine a plugin adds); "
    "`None`: PantherDB at "
    "`BASE_DIR / 'database.pdb'`.",
    "USER_MODEL": "The user model (a `BaseUser` subclass or its dotted path); `None`: `panther.db.models.BaseUser`.",
    "LOG_QUERIES": "Log every database operation with its duration (`panther.db.query` logger).",
    "MEDIA_DIR": "Where `File` / `Image` fields are saved, relative to `BASE_DIR`.",
    "WS_AUTHENTICATION": "Authentication of WebSocket endpoints whose `auth` is `None`.",
    "WS_REDIS_CHANNEL": "The Redis channel the workers share for WebSocket delivery (one per app).",
    "JWT_CONFIG": "JWT settings (`key`, `algorithm`, `life_time`, `refresh_life_time`, `audience`, `issuer`, "
    "`leeway`, `user_loader`, `revocation_capacity`); `None`: derived from `SECRET_KEY`.",
    "THROTTLING": "A `Throttle` applied to every endpoint that sets none.",
    "TRUSTED_PROXIES": "Proxies whose `X-Forwarded-For` the throttles and caches believe (addresses, networks "
    "or `'*'`).",
    "CACHE": "Throttle and response-cache storage: `backend`, `key_prefix`, `max_entries`, `max_bytes`, "
    "`max_clients`, `on_redis_error`, `redis_timeout`.",
    "BACKGROUND_TASKS": "Turn the app's task scheduler on.",
    "BACKGROUND_TASKS_THREADS": "Threads that run synchronous task functions.",
    "BACKGROUND_TASKS_GRACE_PERIOD": "Seconds running tasks get at shutdown before they are cancelled.",
    "BACKGROUND_TASKS_KEY_PREFIX": "Prefix of the Redis keys that make scheduled runs once per cluster.",
    "OPENAPI": "The document's `title`, `version`, `summary`, `description`, `contact`, `license`, `servers`, "
    "and `path` to mount the docs at.",
    "PANEL_MODELS": "Models the admin panel manages; `None`: those the app's routes use, and `USER_MODEL`.",
}


def declared_defaults() -> list[tuple[str, Any, str, str]]:
    """``(key, default, plugin, distribution)`` for the core's keys, then each plugin's."""
    from panther.configs import CORE_DEFAULTS
    from panther.plugins import PluginManager

    os.environ.pop("PANTHER_DISABLE_PLUGINS", None)
    os.environ.pop("PANTHER_DISABLE_PLUGIN_AUTOLOAD", None)
    manager = PluginManager(autoload=True)
    distributions = {info.name: info.distribution for info in manager.info()}
    rows = [(key, value, "core", "panther-core") for key, value in CORE_DEFAULTS.items()]
    # By plugin name (the core's `redis` plugin first): entry points load in no order the page should depend on.
    impls = sorted(
        manager.pm.hook.panther_config_defaults.get_hookimpls(),
        key=lambda impl: (impl.plugin_name != "redis", impl.plugin_name),
    )
    for impl in impls:
        for key, value in (impl.function() or {}).items():
            rows.append((key, value, impl.plugin_name, distributions.get(impl.plugin_name, "?")))
    return rows


def render() -> str:
    rows = declared_defaults()
    missing = [key for key, *_ in rows if key not in MEANINGS]
    if missing:
        raise SystemExit(f"scripts/config_reference.py: no meaning written for {', '.join(missing)}")
    lines = [
        "# Configuration reference",
        "",
        "<!-- Generated by scripts/config_reference.py from the declared defaults; do not edit by hand. -->",
        "",
        "Settings are the UPPERCASE names of the configs module (`Panther(__name__, configs=__name__)`), a dict",
        "(`configs={...}`), or `core/configs.py`. They are read once, when the app is built. A key owned by a",
        "plugin that is not installed is a startup error naming the distribution to install.",
        "",
        "Every key below is declared in code: the core's in `panther.configs.CORE_DEFAULTS`, each plugin's by its",
        "`panther_config_defaults` hook. This page is written from them by `python scripts/config_reference.py`,",
        "and a test fails when it is out of date.",
        "",
        "| key | default | owner | meaning |",
        "| :--- | :--- | :--- | :--- |",
    ]
    for key, value, plugin, distribution in rows:
        owner = "core" if plugin == "core" else f"`{plugin}` ({distribution})"
        if plugin == "redis":
            owner = "core (`redis` plugin)"
        lines.append(f"| `{key}` | `{value!r}` | {owner} | {MEANINGS[key]} |")
    lines.append("")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="exit 1 if the page is out of date")
    args = parser.parse_args(argv)
    text = render()
    if args.check:
        if not PAGE.exists() or PAGE.read_text(encoding="utf-8") != text:
            print(f"{PAGE.name} is stale: run `python scripts/config_reference.py`", file=sys.stderr)
            return 1
        return 0
    PAGE.write_text(text, encoding="utf-8")
    print(f"wrote {PAGE}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
