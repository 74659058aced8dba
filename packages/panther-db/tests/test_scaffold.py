"""``panther create --database pantherdb|mongodb``: the database scaffolding panther-db contributes."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from panther.cli.create import databases
from panther.cli.create import main as create

BOOK = {"title": "Dune", "author": "Frank Herbert", "pages": 412}

# Run inside the generated project: drive its app with panther.test.APIClient and print the answers as JSON.
CALL_APP = r"""
import asyncio, json, sys

sys.path.insert(0, ".")
from main import app
from panther.test import APIClient


async def main():
    async with APIClient(app) as client:
        created = await client.post("/books/", payload=json.loads(sys.argv[1]))
        listed = await client.get("/books/")
    print(json.dumps([[created.status_code, created.data], [listed.status_code, listed.data]]))


asyncio.run(main())
"""


def test_panther_db_offers_its_databases_first() -> None:
    assert list(databases())[:2] == ["pantherdb", "mongodb"] and list(databases())[-1] == "none"


@pytest.mark.parametrize("single_file", [False, True])
@pytest.mark.parametrize("database", ["pantherdb", "mongodb"])
def test_database_projects_use_the_documented_db_api(tmp_path: Path, database: str, single_file: bool) -> None:
    assert create(["shop", str(tmp_path), "--database", database, *(["--single-file"] * single_file)]) == 0
    sources = {p: p.read_text() for p in tmp_path.rglob("*.py")}
    for path, source in sources.items():
        compile(source, str(path), "exec")  # valid Python
    code = "\n".join(sources.values())
    assert "from panther.db import Model" in code and "class Book(Model):" in code
    engine = "PantherDBConnection" if database == "pantherdb" else "MongoDBConnection"
    assert f'"class": "panther.db.connections.{engine}"' in code
    if database == "pantherdb":
        assert '"path": BASE_DIR / "database.pdb"' in code
    requirements = [line for line in (tmp_path / "requirements.txt").read_text().splitlines() if line[:1] != "#"]
    assert requirements[0].startswith("panther-core~=")
    assert requirements[1].startswith("panther-db~=" if database == "pantherdb" else "panther-db[mongodb]~=")


@pytest.mark.parametrize("single_file", [False, True])
def test_pantherdb_project_stores_books(tmp_path: Path, single_file: bool) -> None:
    assert create(["shop", str(tmp_path), "--database", "pantherdb", *(["--single-file"] * single_file)]) == 0
    env = {k: v for k, v in os.environ.items() if k != "PANTHER_DISABLE_PLUGIN_AUTOLOAD"}
    done = subprocess.run(
        [sys.executable, "-c", CALL_APP, json.dumps(BOOK)],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    created, listed = json.loads(done.stdout.strip().splitlines()[-1])
    assert created[0] == 201 and {k: v for k, v in created[1].items() if k != "id"} == BOOK
    assert listed == [200, [created[1]]]
