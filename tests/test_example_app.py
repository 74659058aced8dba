"""The quickstart example under a real uvicorn server, checked over HTTP the way its README's curl commands are."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import urllib.error
import urllib.request
from collections.abc import Iterator
from email.message import Message
from pathlib import Path

import pytest

from panther.test.processes import free_port, stop_process, wait_until_serving

ROOT = Path(__file__).resolve().parent.parent
HELLO_FILE = ROOT / "examples" / "quickstart" / "files" / "hello.txt"


@pytest.fixture(scope="module")
def base_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    pytest.importorskip("panther.db", reason="the example stores books with panther-db")
    port = free_port()
    env = dict(os.environ)
    env.pop("PANTHER_DISABLE_PLUGIN_AUTOLOAD", None)  # the example needs the installed db plugin
    # A fresh embedded database per run, so the checkout stays clean and the listing starts empty.
    env["QUICKSTART_DB"] = str(tmp_path_factory.mktemp("quickstart") / "database.pdb")
    server = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", "examples.quickstart.main:app", "--host", "127.0.0.1", "--port", str(port)],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        wait_until_serving(server, f"{url}/hello/", timeout=15)
        yield url
    finally:
        stop_process(server)


def fetch(
    url: str, method: str = "GET", body: object = None, headers: dict[str, str] | None = None
) -> tuple[int, Message, bytes]:
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(url, data=data, method=method, headers=headers or {})
    if data is not None:
        request.add_header("Content-Type", "application/json")
    try:
        with urllib.request.urlopen(request, timeout=5) as response:
            return response.status, response.headers, response.read()
    except urllib.error.HTTPError as error:  # 4xx/5xx still carry a body worth checking
        with error:
            return error.code, error.headers, error.read()


def test_json(base_url: str) -> None:
    status, headers, body = fetch(f"{base_url}/hello/")
    assert status == 200
    assert headers["Content-Type"] == "application/json"
    assert json.loads(body) == {"message": "Hello, World!"}


def test_path_variable(base_url: str) -> None:
    status, _, body = fetch(f"{base_url}/users/42/")
    assert (status, json.loads(body)) == (200, {"id": 42, "name": "user-42"})
    status, _, body = fetch(f"{base_url}/users/abc/")
    assert status == 400
    assert json.loads(body) == {"detail": "Path variable `abc` is not `int`"}  # upstream's text: the value sent


def test_books_are_validated_and_stored_in_pantherdb(base_url: str) -> None:
    book = {"title": "Dune", "author": "Frank Herbert", "pages": 412}
    status, _, body = fetch(f"{base_url}/books/", "POST", book)
    created = json.loads(body)
    assert status == 201 and {k: created[k] for k in book} == book and len(created["id"]) == 24
    status, _, body = fetch(f"{base_url}/books/", "POST", {"title": "", "pages": -1})
    assert status == 400
    assert set(json.loads(body)) == {"title", "author", "pages"}  # upstream's shape: one message per field
    status, _, body = fetch(f"{base_url}/books/")
    assert (status, json.loads(body)) == (200, [created])
    status, _, body = fetch(f"{base_url}/books/{created['id']}/")
    assert (status, json.loads(body)) == (200, created)
    status, _, body = fetch(f"{base_url}/books/not-an-id/")
    assert (status, json.loads(body)) == (404, {"detail": "Book Does Not Exist"})


def test_template_page_escapes_user_data(base_url: str) -> None:
    status, headers, body = fetch(f"{base_url}/")
    assert status == 200
    assert headers["Content-Type"] == "text/html; charset=utf-8"
    page = body.decode()
    assert "<h1>Hello, Ada!</h1>" in page
    assert "&lt;script&gt;alert(&#39;hi&#39;)&lt;/script&gt; writes &lt;b&gt;engines&lt;/b&gt;" in page
    assert "<script>" not in page
    assert "<li>Solaris</li>" in page


def test_download(base_url: str) -> None:
    expected = HELLO_FILE.read_bytes()
    status, headers, body = fetch(f"{base_url}/download/")
    assert (status, body) == (200, expected)
    assert headers["Content-Disposition"] == 'attachment; filename="hello.txt"'
    assert headers["Content-Type"] == "text/plain"
    assert headers["Content-Length"] == str(len(expected))
    status, headers, body = fetch(f"{base_url}/download/", headers={"Range": "bytes=0-4"})
    assert (status, body) == (206, expected[:5])
    assert headers["Content-Range"] == f"bytes 0-4/{len(expected)}"


def test_docs_describe_the_app_in_valid_openapi_3_1(base_url: str) -> None:
    validator = pytest.importorskip("openapi_spec_validator", reason="the document is checked with it")
    status, headers, body = fetch(f"{base_url}/docs/openapi.json")
    assert (status, headers["Content-Type"]) == (200, "application/json")
    document = json.loads(body)
    validator.validate(document)
    assert document["info"]["title"] == "Quickstart"
    assert set(document["paths"]) == {"/", "/hello/", "/users/{user_id}/", "/books/", "/books/{book_id}/", "/download/"}
    status, headers, body = fetch(f"{base_url}/docs/swagger/")
    assert (status, headers["Content-Type"]) == (200, "text/html; charset=utf-8")


def test_the_example_keeps_to_its_documentation(base_url: str) -> None:
    """schemathesis, a bounded run with a fixed seed (last in this module: it stores books). Every check but
    ``negative_data_rejection``: pydantic's lax mode accepts more than a JSON Schema can say (``"5"`` as an int)."""
    pytest.importorskip("schemathesis")
    command = shutil.which("schemathesis", path=str(Path(sys.executable).parent))
    assert command is not None
    checks = ["--checks", "all", "--exclude-checks", "negative_data_rejection"]
    result = subprocess.run(
        [command, "run", f"{base_url}/docs/openapi.json", *checks, "--max-examples", "25", "--seed", "1"],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
