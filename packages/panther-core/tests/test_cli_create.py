"""``panther create`` scaffolds projects that run, and the CLI's own commands answer with the right exit codes."""

from __future__ import annotations

import builtins
import io
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

import panther
from panther.cli.create import databases
from panther.cli.create import main as create
from panther.cli.main import main as cli

CORE_SRC = str(Path(panther.__file__).resolve().parent.parent)

# Run inside the generated project (cwd): start the app, send each request through ASGI, print the answers as JSON.
CALL_APP = r"""
import asyncio, json, sys

sys.path.insert(0, ".")
from main import app


async def lifespan(message):
    queue = [{"type": f"lifespan.{message}"}]
    sent = []

    async def receive():
        return queue.pop(0) if queue else await asyncio.sleep(3600)

    async def send(sent_message):
        sent.append(sent_message)

    task = asyncio.create_task(app({"type": "lifespan", "asgi": {"version": "3.0"}}, receive, send))
    while not sent:
        await asyncio.sleep(0.01)
    task.cancel()
    assert sent[0]["type"].endswith(".complete"), sent


async def call(method, path, body=None):
    payload = json.dumps(body).encode() if body is not None else b""
    queue = [{"type": "http.request", "body": payload}]
    messages = []

    async def receive():
        return queue.pop(0) if queue else {"type": "http.disconnect"}

    async def send(message):
        messages.append(message)

    scope = {
        "type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": method, "scheme": "http",
        "path": path, "raw_path": path.encode(), "query_string": b"", "client": ("127.0.0.1", 1),
        "server": ("127.0.0.1", 80),
        "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(payload)).encode())],
    }
    await app(scope, receive, send)
    body = b"".join(m.get("body", b"") for m in messages[1:])
    return [messages[0]["status"], json.loads(body) if body else None]


async def main():
    await lifespan("startup")
    requests = json.loads(sys.argv[1])
    print(json.dumps([await call(*request) for request in requests]))
    await lifespan("shutdown")


asyncio.run(main())
"""

BOOK = {"title": "Dune", "author": "Frank Herbert", "pages": 412}


def call_project(directory: Path, requests: list[list[Any]], autoload: bool = False) -> list[list[Any]]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [CORE_SRC, env.get("PYTHONPATH")]))
    if autoload:
        env.pop("PANTHER_DISABLE_PLUGIN_AUTOLOAD", None)
    else:
        env["PANTHER_DISABLE_PLUGIN_AUTOLOAD"] = "1"
    done = subprocess.run(
        [sys.executable, "-c", CALL_APP, json.dumps(requests)],
        cwd=directory,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1])


class TestScaffold:
    @pytest.mark.slow  # runs the generated app in a new interpreter
    def test_folder_layout_runs(self, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
        project = tmp_path / "shop"
        assert create(["shop", str(project), "--database", "none"]) == 0
        files = sorted(str(p.relative_to(project)) for p in project.rglob("*") if p.is_file())
        assert files == [
            ".env",
            ".gitignore",
            "app/__init__.py",
            "app/apis.py",
            "app/models.py",
            "app/urls.py",
            "core/__init__.py",
            "core/configs.py",
            "core/urls.py",
            "main.py",
            "requirements.txt",
        ]
        assert "Created shop" in capsys.readouterr().out
        assert "DATABASE" not in (project / "core/configs.py").read_text()
        answers = call_project(
            project, [["GET", "/"], ["POST", "/books/", BOOK], ["POST", "/books/", {"title": ""}], ["GET", "/nope/"]]
        )
        assert answers[0] == [200, {"detail": "Hello from Panther!"}]
        assert answers[1] == [201, BOOK]
        assert answers[2][0] == 400
        assert set(answers[2][1]) == {"title", "author", "pages"}
        assert answers[3] == [404, {"detail": "Not Found"}]

    @pytest.mark.slow  # runs the generated app in a new interpreter
    def test_single_file_runs(self, tmp_path: Path) -> None:
        assert create(["tiny", str(tmp_path), "--single-file", "--database", "none"]) == 0
        assert sorted(p.name for p in tmp_path.iterdir()) == [".env", ".gitignore", "main.py", "requirements.txt"]
        answers = call_project(tmp_path, [["GET", "/"], ["POST", "/books/", BOOK]])
        assert answers == [[200, {"detail": "Hello from Panther!"}], [201, BOOK]]

    def test_secret_key_and_requirements(self, tmp_path: Path) -> None:
        assert create(["shop", str(tmp_path / "a"), "--database", "none"]) == 0
        assert create(["shop", str(tmp_path / "b"), "--database", "none"]) == 0
        keys = [(tmp_path / d / ".env").read_text().strip() for d in "ab"]
        assert all(key.startswith("SECRET_KEY=") and len(key) == len("SECRET_KEY=") + 44 for key in keys)
        assert keys[0] != keys[1]
        requirements = [
            line for line in (tmp_path / "a" / "requirements.txt").read_text().splitlines() if not line.startswith("#")
        ]
        major_minor = ".".join(panther.__version__.split(".")[:2])
        assert requirements == [f"panther-core~={major_minor}"]
        assert ".env" in (tmp_path / "a" / ".gitignore").read_text().splitlines()

    def test_requirements_say_where_the_wheels_come_from(
        self, tmp_path: Path, capsys: pytest.CaptureFixture[str]
    ) -> None:
        # PyPI's `panther-core` is another project: the file and the next steps name the wheelhouse (the wheel test
        # at the repository root installs this file with --find-links).
        assert create(["shop", str(tmp_path), "--database", "none"]) == 0
        header = (tmp_path / "requirements.txt").read_text()
        assert "not from PyPI" in header and "hatch build --all" in header
        assert "pip install --find-links PATH/TO/panther/dist -r requirements.txt" in header
        assert "pip install --find-links PATH/TO/panther/dist -r requirements.txt" in capsys.readouterr().out


class TestRefusals:
    def test_refuses_to_overwrite_without_force(self, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
        assert create(["shop", str(tmp_path), "--database", "none"]) == 0
        env = (tmp_path / ".env").read_text()
        (tmp_path / "main.py").write_text("# mine\n")
        capsys.readouterr()
        assert create(["shop", str(tmp_path), "--database", "none"]) == 1
        assert "not overwriting" in capsys.readouterr().err
        assert (tmp_path / "main.py").read_text() == "# mine\n"
        assert (tmp_path / ".env").read_text() == env
        assert create(["shop", str(tmp_path), "--database", "none", "--force"]) == 0
        assert (tmp_path / "main.py").read_text() != "# mine\n"
        assert (tmp_path / ".env").read_text() == env  # its SECRET_KEY may already sign tokens or encrypt data
        assert "kept the existing .env" in capsys.readouterr().out

    def test_refuses_before_writing_anything(self, tmp_path: Path) -> None:
        (tmp_path / "requirements.txt").write_text("mine\n")
        assert create(["shop", str(tmp_path), "--single-file"]) == 1
        assert sorted(p.name for p in tmp_path.iterdir()) == ["requirements.txt"]

    def test_an_existing_directory_with_other_files_is_fine(self, tmp_path: Path) -> None:
        (tmp_path / "notes.md").write_text("keep me")
        assert create(["shop", str(tmp_path), "--single-file"]) == 0
        assert (tmp_path / "notes.md").read_text() == "keep me"

    @pytest.mark.parametrize(
        "args", [["1shop"], ["my shop"], ["../x"], ["shop", "--database", "sqlite"], ["shop", "--what"]]
    )
    def test_bad_arguments_exit_2(self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, args: list[str]) -> None:
        monkeypatch.chdir(tmp_path)
        assert create(args) == 2
        assert list(tmp_path.iterdir()) == []

    def test_no_arguments_without_a_terminal_prints_usage(
        self, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
    ) -> None:
        monkeypatch.setattr(sys, "stdin", io.StringIO(""))
        assert create([]) == 2
        assert "usage: panther create NAME" in capsys.readouterr().err


class TestInteractive:
    def test_asks_the_questions(self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
        answers = iter(["", "bad name", "blog", str(tmp_path / "blog"), "y", "sqlite", "none"])
        prompts: list[str] = []

        def fake_input(prompt: str = "") -> str:
            prompts.append(prompt)
            return next(answers)

        monkeypatch.setattr(sys, "stdin", _Terminal())
        monkeypatch.setattr(builtins, "input", fake_input)
        assert create([]) == 0
        assert (tmp_path / "blog" / "main.py").is_file()
        assert not (tmp_path / "blog" / "app").exists()
        assert "DATABASE" not in (tmp_path / "blog" / "main.py").read_text()
        assert prompts.count("Project name: ") == 3
        choices = list(databases())
        assert prompts.count(f"Database ({', '.join(choices)}) [{choices[0]}]: ") == 2

    def test_defaults_and_cancel(self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
        monkeypatch.chdir(tmp_path)
        monkeypatch.setattr(sys, "stdin", _Terminal())
        answers = iter(["blog", "", "", ""])
        monkeypatch.setattr(builtins, "input", lambda prompt="": next(answers))
        assert create([]) == 0
        assert (tmp_path / "blog" / "app" / "models.py").is_file()  # folder layout, in ./NAME
        configs = (tmp_path / "blog" / "core" / "configs.py").read_text()
        # The default database is the first a plugin offers (panther-db: the embedded PantherDB), else none.
        assert ("PantherDBConnection" in configs) if "pantherdb" in databases() else ("DATABASE" not in configs)

        def cancel(prompt: str = "") -> str:
            raise KeyboardInterrupt

        monkeypatch.setattr(builtins, "input", cancel)
        assert create([]) == 1


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


class TestCommands:
    def test_version(self, capsys: pytest.CaptureFixture[str]) -> None:
        assert cli(["version"]) == 0
        assert capsys.readouterr().out.strip() == panther.__version__
        assert cli(["--version"]) == 0

    @pytest.mark.parametrize("flag", ["--help", "-h", "help"])
    def test_help(self, flag: str, capsys: pytest.CaptureFixture[str]) -> None:
        assert cli([flag]) == 0
        out = capsys.readouterr().out
        assert out.startswith("usage: panther <command>")
        for command in ("run", "create", "plugins", "version"):
            assert f"  {command} " in out

    def test_unknown_command(self, capsys: pytest.CaptureFixture[str]) -> None:
        assert cli(["frobnicate"]) == 2
        assert "unknown command 'frobnicate'" in capsys.readouterr().err

    def test_create_through_the_cli(self, tmp_path: Path) -> None:
        assert cli(["create", "shop", str(tmp_path), "--single-file", "--database", "none"]) == 0
        assert (tmp_path / "main.py").is_file()
        assert cli(["create", "--help"]) == 0

    def test_plugins_table(self, capsys: pytest.CaptureFixture[str]) -> None:
        assert cli(["plugins"]) == 0
        lines = capsys.readouterr().out.splitlines()
        assert lines[0].split() == ["NAME", "DISTRIBUTION", "VERSION", "HOOKS"]
        rows = {line.split()[0]: line.split() for line in lines[1:] if line.strip()}
        assert rows["encoders"][1:3] == ["panther-core", panther.__version__]
        assert "json_encoders" in " ".join(rows["encoders"][3:])
