"""``panther createuser``: asks for USER_MODEL's fields and a password, stores the user with a hashed password,
on PantherDB and on the real MongoDB. Run as a user runs it: the ``panther`` command in a subprocess."""

from __future__ import annotations

import subprocess
import sys
import textwrap
import uuid
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("panther.db", reason="createuser needs panther-db's USER_MODEL")

from panther import Panther
from panther.db.context import DB
from panther.db.models import BaseUser
from panther.db.passwords import verify_password

pytestmark = pytest.mark.slow


class Person(BaseUser):  # the same collection as the app file's model
    age: int
    email: str | None = None


APP_FILE = """
from panther import Panther
from panther.db.models import BaseUser


class Person(BaseUser):
    age: int
    email: str | None = None


SECRET_KEY = "cli-suite-secret-key-0123456789abcdef"
DATABASE = {database!r}
USER_MODEL = Person
app = Panther(__name__, configs=__name__, urls={{}})
"""


def panther(cwd: Path, *args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-c", "from panther.cli.main import start; start()", *args]
    return subprocess.run(command, cwd=cwd, input=stdin, capture_output=True, text=True, timeout=60)


@pytest.fixture(params=["pantherdb", pytest.param("mongodb", marks=pytest.mark.panther_mongodb)])
async def project(request: pytest.FixtureRequest, tmp_path: Path) -> Any:
    """``(directory, app)``: an app file using the engine, and an app of the test reading the same database."""
    if request.param == "mongodb":
        name = f"panther_auth_cli_{uuid.uuid4().hex[:12]}"
        database = {
            "engine": {"class": "mongodb", "host": request.getfixturevalue("panther_mongodb_url"), "database": name}
        }
    else:
        database = {"engine": {"class": "pantherdb", "path": str(tmp_path / "users.pdb")}}
    (tmp_path / "main.py").write_text(textwrap.dedent(APP_FILE.format(database=database)))
    app = Panther(__name__, configs={"DATABASE": database, "USER_MODEL": Person, "BASE_DIR": str(tmp_path)}, urls={})
    await app.startup()
    yield tmp_path, app
    if request.param == "mongodb":
        await app.stash[DB].client.drop_database(name)
    await app.shutdown()


async def test_creates_a_user_with_a_hashed_password(project):
    directory, _ = project
    result = panther(directory, "createuser", "main.py", stdin="ann\nforty\n41\n\nsecret pw\nsecret pw\n")
    assert result.returncode == 0, result.stderr
    assert "Person(username=ann) Created Successfully." in result.stdout
    assert "Input should be a valid integer" in result.stdout  # "forty" was asked again
    user = await Person.find_one(username="ann")
    assert user is not None and user.age == 41 and user.email is None and user.date_created is not None
    assert user.password != "secret pw" and await verify_password("secret pw", user.password)


async def test_staff_flag_makes_a_staff_user(project):
    """``--staff`` lets the user into the admin panel (panther-panel); without it nobody is staff."""
    directory, _ = project
    result = panther(directory, "createuser", "--staff", "main.py", stdin="ann\n41\n\npw\npw\n")
    assert result.returncode == 0, result.stderr
    assert "is_staff" not in result.stdout  # set by the flag, never asked
    plain = panther(directory, "createuser", "main.py", stdin="bob\n30\n\npw\npw\n")
    assert plain.returncode == 0, plain.stderr
    assert (await Person.find_one(username="ann")).is_staff is True
    assert (await Person.find_one(username="bob")).is_staff is False


async def test_asks_again_for_a_taken_username_and_mismatched_passwords(project):
    directory, _ = project
    await Person.insert_one(username="bob", age=30)
    answers = "bob\nann\n30\nann@example.com\none\ntwo\nthree\nthree\n"
    result = panther(directory, "createuser", "main:app", stdin=answers)
    assert result.returncode == 0, result.stderr
    assert "A Person with this username already exists." in result.stdout
    assert "The passwords do not match." in result.stdout
    user = await Person.find_one(username="ann")
    assert user.email == "ann@example.com" and await verify_password("three", user.password)
    assert await Person.count() == 2


async def test_input_ending_early_creates_nothing(project):
    directory, _ = project
    result = panther(directory, "createuser", "main.py", stdin="ann\n41\n")
    assert result.returncode == 1 and "nothing was created" in result.stderr
    assert await Person.count() == 0


def test_usage_errors(tmp_path):
    assert panther(tmp_path, "createuser").returncode == 2
    missing = panther(tmp_path, "createuser", "nothing.py")
    assert missing.returncode == 1 and "'nothing.py' is not a file" in missing.stderr
    (tmp_path / "empty.py").write_text("x = 1\n")
    empty = panther(tmp_path, "createuser", "empty.py")
    assert empty.returncode == 1 and "defines no Panther app" in empty.stderr
    assert "createuser" in panther(tmp_path, "--help").stdout
