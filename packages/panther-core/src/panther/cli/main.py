"""``panther <command>``: run an app, scaffold a project, list plugins; plugins add commands of their own.

The CLI is the only place that turns errors into exit codes; the library raises ``PantherError`` instead.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Sequence

from panther import __version__
from panther.exceptions import PantherError
from panther.plugins import PluginManager

Command = Callable[[list[str]], int | None]


def run_command(argv: list[str]) -> int:
    """Run an app with uvicorn: panther run main:app [--reload] [--port 8000] [uvicorn options]."""
    import uvicorn

    if not argv or argv[0] in ("-h", "--help"):
        print("usage: panther run MODULE:APP [uvicorn options]  (see `uvicorn --help`)")
        return 0 if argv else 2
    try:
        uvicorn.main.main(args=argv, prog_name="panther run", standalone_mode=True)
    except SystemExit as exc:
        return int(exc.code or 0)
    return 0


def version_command(argv: list[str]) -> int:
    """Print the installed version."""
    print(__version__)
    return 0


def plugins_command(argv: list[str]) -> int:
    """List active plugins: panther plugins [MODULE:APP] (default: what a new app would load)."""
    from panther.cli.plugins_table import plugins_table

    return plugins_table(argv)


def create_command(argv: list[str]) -> int:
    """Create a new project: panther create NAME [DIRECTORY] [--single-file] [--database NAME] [--force]."""
    from panther.cli.create import main as create_main

    return create_main(argv)


CORE_COMMANDS: dict[str, Command] = {
    "run": run_command,
    "create": create_command,
    "plugins": plugins_command,
    "version": version_command,
}


def all_commands() -> dict[str, Command]:
    commands = dict(CORE_COMMANDS)
    for name, command in PluginManager().cli_commands().items():
        if name in commands:
            raise PantherError(f"A plugin defines the CLI command {name!r}, which is taken.")
        commands[name] = command
    return commands


def usage(commands: dict[str, Command]) -> str:
    lines = ["usage: panther <command> [arguments]", "", "commands:"]
    for name, command in commands.items():
        summary = (command.__doc__ or "").strip().splitlines()[0] if command.__doc__ else ""
        lines.append(f"  {name:<12} {summary}")
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    try:
        commands = all_commands()
        if not args or args[0] in ("-h", "--help", "help", "h"):
            print(usage(commands))
            return 0
        if args[0] in ("-v", "--version"):
            return version_command([])
        command = commands.get(args[0])
        if command is None:
            print(f"panther: unknown command {args[0]!r}\n\n{usage(commands)}", file=sys.stderr)
            return 2
        return int(command(args[1:]) or 0)
    except PantherError as exc:
        print(f"panther: {exc}", file=sys.stderr)
        return 1


def start() -> None:
    """Console-script entry point."""
    sys.exit(main())
