"""``panther.test.processes``: ports for servers started together, and waiting for a server to answer."""

from __future__ import annotations

import subprocess
import sys

import pytest

from panther.test.processes import free_ports, stop_process, wait_until_serving

SERVE = """
import http.server, sys
class Hello(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        self.send_response(200); self.end_headers(); self.wfile.write(b"hello")
    def log_message(self, *args): pass
http.server.HTTPServer(("127.0.0.1", int(sys.argv[1])), Hello).serve_forever()
"""


def start(code: str, *args: str) -> subprocess.Popen[bytes]:
    return subprocess.Popen([sys.executable, "-c", code, *args], stdout=subprocess.PIPE, stderr=subprocess.STDOUT)


def test_ports_for_servers_started_together_differ() -> None:
    ports = free_ports(5)
    assert len(set(ports)) == 5


def test_the_body_once_the_server_answers() -> None:
    (port,) = free_ports(1)
    server = start(SERVE, str(port))
    try:
        assert wait_until_serving(server, f"http://127.0.0.1:{port}/", timeout=20) == b"hello"
    finally:
        stop_process(server)


def test_a_server_that_exits_fails_the_test_with_its_output() -> None:
    server = start("print('cannot bind'); raise SystemExit(3)")
    with pytest.raises(pytest.fail.Exception, match=r"exited with 3:\n(.|\n)*cannot bind"):
        wait_until_serving(server, "http://127.0.0.1:9/", timeout=20)


def test_a_server_that_never_answers_is_killed_and_fails_the_test() -> None:
    server = start("import time; print('stuck', flush=True); time.sleep(60)")
    with pytest.raises(pytest.fail.Exception, match=r"did not answer http://127.0.0.1:9/ within 0.5 s:\n(.|\n)*stuck"):
        wait_until_serving(server, "http://127.0.0.1:9/", timeout=0.5)
    assert server.poll() is not None
