"""``panther createuser``: create a user of the app's ``USER_MODEL`` from the terminal.

It asks for the username (until an unused one is given), then the model's other fields, then the password twice
(hidden on a terminal); the password is hashed by ``BaseUser.set_password``. Only the app's database is opened:
its startup functions and other plugins' lifespans do not run. With stdin not a terminal, answers are read line by
line (``printf 'admin\\nsecret\\nsecret\\n' | panther createuser main.py``).
"""

from __future__ import annotations

import asyncio
import getpass
import importlib
import importlib.util
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, TextIO

from pydantic import TypeAdapter, ValidationError

from panther.exceptions import PantherError

if TYPE_CHECKING:
    from pydantic.fields import FieldInfo

    from panther.main import Panther

__all__ = ["createuser_command", "load_app"]

USAGE = (
    "usage: panther createuser [--staff] FILE.py | MODULE:APP   (the file or module that builds your Panther app;"
    " --staff lets the user into the admin panel)"
)
#: BaseUser's fields that are not asked for: set by the database, by login, hashed from the password, or by --staff.
_NOT_ASKED = frozenset(("id", "password", "last_login", "date_created", "is_staff"))


class InputEnded(Exception):
    """stdin ended before every answer was given."""


def createuser_command(argv: list[str]) -> int:
    """Create a user of USER_MODEL: panther createuser [--staff] main.py (or MODULE:APP)."""
    staff = "--staff" in argv
    argv = [arg for arg in argv if arg != "--staff"]
    if len(argv) != 1 or argv[0] in ("-h", "--help"):
        print(USAGE, file=sys.stderr if len(argv) != 1 else sys.stdout)
        return 0 if argv and argv[0] in ("-h", "--help") else 2
    app = load_app(argv[0])
    model: Any = app.config.USER_MODEL
    if not (isinstance(model, type) and hasattr(model, "set_password") and hasattr(model, "insert_one")):
        raise PantherError(
            "createuser needs the app's USER_MODEL, a panther.db.models.BaseUser: install panther-db "
            "(`pip install 'panther-auth[db]'`) and keep its `db` plugin enabled."
        )
    if staff and "is_staff" not in getattr(model, "model_fields", {}):
        raise PantherError(f"--staff needs an `is_staff` field on {model.__name__} (BaseUser has one).")
    prompt = Prompt(sys.stdin, sys.stdout)
    try:
        user = asyncio.run(create_user(app, model, prompt, staff=staff))
    except InputEnded:
        print("\npanther: input ended before the user was complete; nothing was created.", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("\nInterrupted; nothing was created.", file=sys.stderr)
        return 130
    username_field = getattr(model, "USERNAME_FIELD", "username")
    print(f"{model.__name__}({username_field}={getattr(user, username_field)}) Created Successfully.")
    return 0


async def create_user(app: Panther, model: Any, prompt: Prompt, *, staff: bool = False) -> Any:
    """Ask for the user's fields and password, then insert it into ``app``'s database (``staff``: as staff)."""
    from panther.db.context import DB, use_app

    connection = app.stash[DB]
    await connection.open()
    try:
        with use_app(app):
            values = await ask_fields(model, prompt)
            if staff:
                values["is_staff"] = True
            password = ask_password(prompt)
            user = model(**values)
            await user.set_password(password)  # hashed into `user.password`: never stored in clear, even briefly
            return await model.insert_one(user.model_dump(exclude={"id"}, exclude_none=True))
    finally:
        await connection.close()


async def ask_fields(model: Any, prompt: Prompt) -> dict[str, Any]:
    username_field = model.USERNAME_FIELD
    fields: dict[str, FieldInfo] = model.model_fields
    values: dict[str, Any] = {}
    names = [username_field, *(name for name in fields if name not in _NOT_ASKED and name != username_field)]
    for name in names:
        field = fields[name]
        while True:
            answer = prompt.ask(f"{name}" + ("" if field.is_required() else " (optional, Enter to skip)"))
            if not answer and not field.is_required():
                break
            try:
                value = _validated(field, answer)
            except ValidationError as exc:
                prompt.say(f"  {exc.errors(include_url=False)[0]['msg']}")
                continue
            if name == username_field and await model.exists({name: value}):
                prompt.say(f"  A {model.__name__} with this {name} already exists.")
                continue
            values[name] = value
            break
    return values


def ask_password(prompt: Prompt) -> str:
    while True:
        password = prompt.secret("password")
        if not password:
            prompt.say("  The password cannot be empty.")
            continue
        if prompt.secret("password (again)") != password:
            prompt.say("  The passwords do not match.")
            continue
        return password


def _validated(field: FieldInfo, answer: str) -> Any:
    annotation: Any = Annotated[(field.annotation, *field.metadata)] if field.metadata else field.annotation
    adapter: TypeAdapter[Any] = TypeAdapter(annotation)
    try:
        return adapter.validate_python(answer)
    except ValidationError:
        if answer[:1] in "[{":  # a list or a dict field, typed as JSON
            return adapter.validate_json(answer)
        raise


class Prompt:
    """Questions on a terminal (the password hidden), or answers read line by line from a pipe."""

    def __init__(self, stdin: TextIO, stdout: TextIO) -> None:
        self.stdin = stdin
        self.stdout = stdout
        self.interactive = stdin.isatty()

    def ask(self, question: str) -> str:
        self.stdout.write(f"{question}: ")
        self.stdout.flush()
        return self._line()

    def secret(self, question: str) -> str:
        if self.interactive:
            return getpass.getpass(f"{question}: ")
        self.stdout.write(f"{question}: \n")
        return self._line()

    def say(self, text: str) -> None:
        print(text, file=self.stdout)

    def _line(self) -> str:
        line = self.stdin.readline()
        if not line:
            raise InputEnded
        return line.rstrip("\r\n").strip()


def load_app(target: str) -> Panther:
    """The app built by ``target``: a ``.py`` file (its one ``Panther`` instance) or ``module:attribute``."""
    from panther.main import Panther

    if ":" in target and not target.endswith(".py"):
        module_name, _, attribute = target.partition(":")
        sys.path.insert(0, str(Path.cwd()))
        app = getattr(importlib.import_module(module_name), attribute, None)
        if not isinstance(app, Panther):
            raise PantherError(f"{target!r} is not a Panther app.")
        return app
    path = Path(target)
    if not path.is_file():
        raise PantherError(f"{target!r} is not a file; {USAGE.removeprefix('usage: ')}")
    sys.path.insert(0, str(path.resolve().parent))
    spec = importlib.util.spec_from_file_location(path.stem, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[path.stem] = module
    spec.loader.exec_module(module)
    apps = [value for value in vars(module).values() if isinstance(value, Panther)]
    if len(apps) != 1:
        found = "no Panther app" if not apps else f"{len(apps)} Panther apps"
        raise PantherError(f"{target} defines {found}; name one with MODULE:APP (e.g. main:app).")
    return apps[0]
