"""``panther create``: scaffold a new project, as one ``main.py`` or as the ``app/`` + ``core/`` layout.

``panther create NAME [DIRECTORY] [--single-file] [--database NAME] [--force]``. With no arguments at a terminal it
asks the same questions. Existing files are never overwritten unless ``--force`` is given, and an existing ``.env``
is kept even then. The databases offered are those of the installed plugins (``panther_project_scaffolds``; panther-db
offers ``pantherdb`` and ``mongodb``), plus ``none``.
"""

from __future__ import annotations

import argparse
import re
import sys
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from panther import __version__
from panther.utils import generate_secret_key

__all__ = ["Project", "Scaffold", "databases", "main", "project_files"]

_NAME = re.compile(r"[A-Za-z][A-Za-z0-9_-]*")
_NAME_RULE = "letters, digits, '_' and '-', starting with a letter"
_USAGE = "panther create NAME [DIRECTORY] [--single-file] [--database NAME] [--force]"


@dataclass(frozen=True)
class Scaffold:
    """What a database contributes to a new project (returned by a plugin's ``panther_project_scaffolds``).

    ``models``, ``apis`` and ``urls`` are the modules ``app/models.py``, ``app/apis.py`` and ``app/urls.py`` (the
    single-file layout pastes their bodies); ``imports`` are the single file's imports; ``books`` names the endpoint
    serving ``books/``; ``setting`` is the ``DATABASE`` setting pasted into the configs (it may use ``os`` and
    ``BASE_DIR``); ``requirement`` is the line naming the distribution in ``requirements.txt``.
    """

    models: str
    apis: str
    urls: str
    imports: str
    books: str
    setting: str = ""
    requirement: str = ""


#: ``scaffold(project_name) -> Scaffold``, by database name.
ScaffoldFactory = Callable[[str], Scaffold]


@dataclass(frozen=True)
class Project:
    """What to scaffold."""

    name: str
    directory: Path
    single_file: bool = False
    database: str = "none"


def databases() -> dict[str, ScaffoldFactory]:
    """The databases a project can be created with: those of the installed plugins, then ``none``."""
    from panther.plugins import PluginManager

    return {**PluginManager().project_scaffolds(), "none": lambda name: NO_DATABASE}


def main(argv: Sequence[str] | None = None) -> int:
    """Run ``panther create``; returns the exit code (0 created, 1 refused or failed, 2 usage error)."""
    args = list(sys.argv[1:] if argv is None else argv)
    if not args:
        if not sys.stdin.isatty():
            print(f"usage: {_USAGE}", file=sys.stderr)
            return 2
        try:
            project = ask()
        except (EOFError, KeyboardInterrupt):
            print("\ncancelled", file=sys.stderr)
            return 1
        force = False
    else:
        parsed = _parse(args)
        if isinstance(parsed, int):
            return parsed
        project, force = parsed
    return create(project, force=force)


def _default_database(choices: Mapping[str, ScaffoldFactory]) -> str:
    return next(iter(choices))


def _parse(args: list[str]) -> tuple[Project, bool] | int:
    choices = databases()
    default = _default_database(choices)
    parser = argparse.ArgumentParser(prog="panther create", description="Create a new Panther project.")
    parser.add_argument("name", help=f"project name ({_NAME_RULE})")
    parser.add_argument("directory", nargs="?", help="where to create it (default: ./NAME)")
    parser.add_argument("--single-file", action="store_true", help="one main.py instead of app/ and core/")
    parser.add_argument("--database", choices=list(choices), default=default, help=f"default: {default}")
    parser.add_argument("--force", action="store_true", help="overwrite existing files")
    try:
        options = parser.parse_args(args)
    except SystemExit as exc:  # argparse exits on --help (0) and on bad arguments (2)
        return int(exc.code or 0)
    if not _NAME.fullmatch(options.name):
        print(f"panther create: invalid name {options.name!r}: {_NAME_RULE}", file=sys.stderr)
        return 2
    directory = Path(options.directory if options.directory is not None else options.name)
    return Project(options.name, directory, options.single_file, options.database), options.force


def ask() -> Project:
    """Ask for the project's settings with ``input()`` (empty answers take the default in brackets)."""
    name = ""
    while not _NAME.fullmatch(name):
        name = input("Project name: ").strip()
        if not _NAME.fullmatch(name):
            print(f"  {_NAME_RULE}")
    directory = input(f"Directory [{name}]: ").strip() or name
    single_file = _yes(input("Single file (one main.py)? [y/N]: "))
    choices = databases()
    default = _default_database(choices)
    database = ""
    while database not in choices:
        database = input(f"Database ({', '.join(choices)}) [{default}]: ").strip().lower() or default
    return Project(name, Path(directory), single_file, database)


def _yes(answer: str) -> bool:
    return answer.strip().lower() in ("y", "yes")


def create(project: Project, force: bool = False) -> int:
    """Write the project's files (all or none); returns the exit code."""
    files = project_files(project)
    existing = [path for path in files if (project.directory / path).exists()]
    if existing and not force:
        listed = ", ".join(str(project.directory / path) for path in existing)
        print(f"panther create: not overwriting {listed} (use --force to overwrite)", file=sys.stderr)
        return 1
    if ".env" in existing:
        # Even with --force: a new SECRET_KEY would invalidate issued tokens and encrypted data.
        del files[".env"]
    try:
        for path, content in files.items():
            target = project.directory / path
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(content, encoding="utf-8")
    except OSError as exc:
        print(f"panther create: {exc}", file=sys.stderr)
        return 1
    print(f"Created {project.name} in {project.directory}:")
    for path in files:
        print(f"  {path}")
    if ".env" in existing:
        print("  (kept the existing .env and its SECRET_KEY)")
    print(
        f"\nNext:\n  cd {project.directory}\n  {INSTALL_COMMAND}   # PATH/TO: see requirements.txt"
        "\n  panther run main:app --reload"
    )
    return 0


def project_files(project: Project) -> dict[str, str]:
    """The files of the project, by path relative to its directory."""
    choices = databases()
    if project.database not in choices:
        raise ValueError(f"unknown database {project.database!r}; choose one of {', '.join(choices)}")
    scaffold = choices[project.database](project.name)
    files: dict[str, str] = {}
    if project.single_file:
        files["main.py"] = _single_file(project, scaffold)
    else:
        files["main.py"] = MAIN.format(name=project.name)
        files["app/__init__.py"] = ""
        files["app/apis.py"] = scaffold.apis
        files["app/models.py"] = scaffold.models
        files["app/urls.py"] = scaffold.urls
        files["core/__init__.py"] = ""
        files["core/configs.py"] = CONFIGS.format(name=project.name, database=scaffold.setting)
        files["core/urls.py"] = CORE_URLS
    files[".env"] = f"SECRET_KEY={generate_secret_key()}\n"
    files[".gitignore"] = GITIGNORE
    files["requirements.txt"] = _requirements(scaffold)
    return files


def _single_file(project: Project, scaffold: Scaffold) -> str:
    return SINGLE_FILE.format(
        name=project.name,
        imports=scaffold.imports,
        database=scaffold.setting,
        models=_body(scaffold.models),
        apis=_body(scaffold.apis),
        books=scaffold.books,
    )


def _body(module: str) -> str:
    """A generated module without its docstring and imports, to paste into the single-file layout."""
    return module.split("\n\n\n", 1)[1].strip()


#: How to install the requirements: Panther's wheels are not on PyPI (see ``REQUIREMENTS_HEADER``).
INSTALL_COMMAND = "pip install --find-links PATH/TO/panther/dist -r requirements.txt"

# Without the wheelhouse, pip would fail (no 6.x on PyPI) or, unpinned, install PyPI's unrelated `panther-core`.
REQUIREMENTS_HEADER = f"""\
# Panther 6 is installed from its wheels, not from PyPI: there, "panther-core" is an unrelated project.
# Build the wheels in a checkout of Panther with `hatch build --all` (they land in its dist/ folder), then:
#   {INSTALL_COMMAND}
# or install from your team's index that serves them: pip install --index-url URL -r requirements.txt
"""


def _requirements(scaffold: Scaffold) -> str:
    major_minor = re.match(r"\d+\.\d+", __version__)
    pin = f"~={major_minor.group()}" if major_minor else ""
    lines = "".join(f"{line}{pin}\n" for line in ("panther-core", scaffold.requirement) if line)
    return f"{REQUIREMENTS_HEADER}{lines}"


# --- Templates ----------------------------------------------------------------------------------------------------
# The generated code follows the project's style: a docstring saying what each module is for, ruff-clean.

MAIN = '''"""{name}: `panther run main:app --reload` serves it.

Settings are in core/configs.py, routes in core/urls.py and app/urls.py.
"""

from panther import Panther

app = Panther(__name__, configs="core.configs")
'''

CONFIGS = '''"""Settings of {name}: every UPPERCASE name here is read by `Panther(...)`."""

import os
from pathlib import Path

from panther.utils import load_env

BASE_DIR = Path(__file__).resolve().parent.parent
env = load_env(BASE_DIR / ".env") if (BASE_DIR / ".env").is_file() else {{}}

# The environment wins over .env, so a deployment can set it without a file.
SECRET_KEY = os.environ.get("SECRET_KEY", env.get("SECRET_KEY"))
URLs = "core.urls.url_routing"
{database}'''

CORE_URLS = '''"""The URL table of the whole project: each app's routes under a prefix."""

from app.urls import urls as app_urls

url_routing = {
    "/": app_urls,
}
'''

MODELS = '''"""The shapes of the data the API accepts."""

from pydantic import BaseModel, Field


class BookIn(BaseModel):
    """What `POST /books/` accepts; anything else is answered 400 with the reasons."""

    title: str = Field(min_length=1)
    author: str = Field(min_length=1)
    pages: int = Field(gt=0)
'''

APIS = '''"""The endpoints."""

from panther import status
from panther.app import API
from panther.request import Request
from panther.response import Response

from app.models import BookIn


@API()
async def hello_api() -> dict[str, str]:
    return {"detail": "Hello from Panther!"}


@API(methods=["POST"], input_model=BookIn)
async def create_book_api(request: Request) -> Response:
    # No database in this project: answer with the validated book, as it would be stored.
    return Response(data=request.validated_data, status_code=status.HTTP_201_CREATED)
'''

APP_URLS = '''"""The routes of this app, mounted by core/urls.py."""

from app.apis import create_book_api, hello_api

urls = {
    "": hello_api,
    "books": create_book_api,
}
'''

SINGLE_FILE_IMPORTS = """from panther import Panther, status
from panther.app import API
from panther.request import Request
from panther.response import Response
from panther.utils import load_env
from pydantic import BaseModel, Field"""

SINGLE_FILE = '''"""{name}: a Panther app in one file. `panther run main:app --reload` serves it."""

import os
from pathlib import Path

{imports}

BASE_DIR = Path(__file__).resolve().parent
env = load_env(BASE_DIR / ".env") if (BASE_DIR / ".env").is_file() else {{}}

# The environment wins over .env, so a deployment can set it without a file.
SECRET_KEY = os.environ.get("SECRET_KEY", env.get("SECRET_KEY"))
{database}

{models}


{apis}


url_routing = {{
    "": hello_api,
    "books": {books},
}}

app = Panther(__name__, configs=__name__, urls=url_routing)
'''

GITIGNORE = """__pycache__/
*.py[cod]
.venv/
venv/
.env
*.pdb
logs/
"""

NO_DATABASE = Scaffold(
    models=MODELS, apis=APIS, urls=APP_URLS, imports=SINGLE_FILE_IMPORTS, books="create_book_api", setting=""
)
