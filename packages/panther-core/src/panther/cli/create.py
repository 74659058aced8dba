"""``panther create``: scaffold a new project, as one ``main.py`` or as the ``app/`` + ``core/`` layout.

``panther create NAME [DIRECTORY] [--single-file] [--database pantherdb|mongodb|none] [--force]``. With no arguments
at a terminal it asks the same questions. Existing files are never overwritten unless ``--force`` is given, and an
existing ``.env`` is kept even then.
"""

from __future__ import annotations

import argparse
import re
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from panther import __version__
from panther.utils import generate_secret_key

__all__ = ["DATABASES", "Project", "main", "project_files"]

DATABASES = ("pantherdb", "mongodb", "none")
_NAME = re.compile(r"[A-Za-z][A-Za-z0-9_-]*")
_NAME_RULE = "letters, digits, '_' and '-', starting with a letter"
_USAGE = "panther create NAME [DIRECTORY] [--single-file] [--database pantherdb|mongodb|none] [--force]"


@dataclass(frozen=True)
class Project:
    """What to scaffold."""

    name: str
    directory: Path
    single_file: bool = False
    database: str = "pantherdb"


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


def _parse(args: list[str]) -> tuple[Project, bool] | int:
    parser = argparse.ArgumentParser(prog="panther create", description="Create a new Panther project.")
    parser.add_argument("name", help=f"project name ({_NAME_RULE})")
    parser.add_argument("directory", nargs="?", help="where to create it (default: ./NAME)")
    parser.add_argument("--single-file", action="store_true", help="one main.py instead of app/ and core/")
    parser.add_argument("--database", choices=DATABASES, default="pantherdb", help="default: pantherdb (embedded)")
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
    database = ""
    while database not in DATABASES:
        database = input("Database (pantherdb, mongodb, none) [pantherdb]: ").strip().lower() or "pantherdb"
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
    db = project.database != "none"
    files: dict[str, str] = {}
    if project.single_file:
        files["main.py"] = _single_file(project)
    else:
        files["main.py"] = MAIN.format(name=project.name)
        files["app/__init__.py"] = ""
        files["app/apis.py"] = APIS_DB if db else APIS
        files["app/models.py"] = MODELS_DB if db else MODELS
        files["app/urls.py"] = APP_URLS_DB if db else APP_URLS
        files["core/__init__.py"] = ""
        files["core/configs.py"] = CONFIGS.format(name=project.name, database=_database_setting(project))
        files["core/urls.py"] = CORE_URLS
    files[".env"] = f"SECRET_KEY={generate_secret_key()}\n"
    files[".gitignore"] = GITIGNORE
    files["requirements.txt"] = _requirements(project.database)
    return files


def _single_file(project: Project) -> str:
    db = project.database != "none"
    return SINGLE_FILE.format(
        name=project.name,
        imports=SINGLE_FILE_IMPORTS_DB if db else SINGLE_FILE_IMPORTS,
        database=_database_setting(project),
        models=_body(MODELS_DB if db else MODELS),
        apis=_body(APIS_DB if db else APIS),
        books="BookAPI" if db else "create_book_api",
    )


def _body(module: str) -> str:
    """A generated module without its docstring and imports, to paste into the single-file layout."""
    return module.split("\n\n\n", 1)[1].strip()


def _database_setting(project: Project) -> str:
    if project.database == "pantherdb":
        return PANTHERDB_SETTING
    if project.database == "mongodb":
        return MONGODB_SETTING.format(name=project.name)
    return ""


#: How to install the requirements: Panther's wheels are not on PyPI (see ``REQUIREMENTS_HEADER``).
INSTALL_COMMAND = "pip install --find-links PATH/TO/panther/dist -r requirements.txt"

# Without the wheelhouse, pip would fail (no 6.x on PyPI) or, unpinned, install PyPI's unrelated `panther-core`.
REQUIREMENTS_HEADER = f"""\
# Panther 6 is installed from its wheels, not from PyPI: there, "panther-core" is an unrelated project.
# Build the wheels in a checkout of Panther with `hatch build --all` (they land in its dist/ folder), then:
#   {INSTALL_COMMAND}
# or install from your team's index that serves them: pip install --index-url URL -r requirements.txt
"""


def _requirements(database: str) -> str:
    extra = {"pantherdb": "[db]", "mongodb": "[mongodb]", "none": ""}[database]
    major_minor = re.match(r"\d+\.\d+", __version__)
    pin = f"~={major_minor.group()}" if major_minor else ""
    return f"{REQUIREMENTS_HEADER}panther-core{extra}{pin}\n"


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

PANTHERDB_SETTING = """
# The embedded database: one file next to main.py.
DATABASE = {
    "engine": {
        "class": "panther.db.connections.PantherDBConnection",
        "path": BASE_DIR / "database.pdb",
    },
}
"""

MONGODB_SETTING = """
DATABASE = {{
    "engine": {{
        "class": "panther.db.connections.MongoDBConnection",
        "host": os.environ.get("MONGODB_HOST", "127.0.0.1"),
        "port": 27017,
        "database": "{name}",
    }},
}}
"""

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

MODELS_DB = '''"""The stored documents, and the shapes of the data the API accepts."""

from panther.db import Model
from pydantic import BaseModel, Field


class Book(Model):
    """A stored book (its collection is named after the class)."""

    title: str
    author: str
    pages: int


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

APIS_DB = '''"""The endpoints."""

from panther import status
from panther.app import API, GenericAPI
from panther.request import Request
from panther.response import Response

from app.models import Book, BookIn


@API()
async def hello_api() -> dict[str, str]:
    return {"detail": "Hello from Panther!"}


class BookAPI(GenericAPI):
    """`GET /books/` lists the books, `POST /books/` stores one."""

    input_model = BookIn

    async def get(self) -> Response:
        return Response(data=await Book.find())

    async def post(self, request: Request) -> Response:
        book = await Book.insert_one(request.validated_data.model_dump())
        return Response(data=book, status_code=status.HTTP_201_CREATED)
'''

APP_URLS = '''"""The routes of this app, mounted by core/urls.py."""

from app.apis import create_book_api, hello_api

urls = {
    "": hello_api,
    "books": create_book_api,
}
'''

APP_URLS_DB = '''"""The routes of this app, mounted by core/urls.py."""

from app.apis import BookAPI, hello_api

urls = {
    "": hello_api,
    "books": BookAPI,
}
'''

SINGLE_FILE_IMPORTS = """from panther import Panther, status
from panther.app import API
from panther.request import Request
from panther.response import Response
from panther.utils import load_env
from pydantic import BaseModel, Field"""

SINGLE_FILE_IMPORTS_DB = """from panther import Panther, status
from panther.app import API, GenericAPI
from panther.db import Model
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
