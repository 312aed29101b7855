"""``xaas flow serve``: the envelope over HTTP, errors as HTTP 500, calls recorded."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

import pytest

from tests.flow.translate.harness import STUBS, serving


def _post(url: str, body: bytes) -> tuple[int, dict[str, Any]]:
    request = urllib.request.Request(url, data=body, method="POST",
                                     headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=10) as answer:
            return answer.status, json.loads(answer.read())
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read())


def test_envelope_in_and_out() -> None:
    with serving() as server:
        status, body = _post(f"{server.url}/gen",
                             json.dumps({"payload": {"size": 4}, "request_id": "r1"}).encode())
        assert (status, body) == (200, {"payload": {"len": "0123"}, "request_id": "r1"})
        [call] = server.take_calls()
        assert (call.func_name, call.payload, call.ok, call.output) == \
            ("gen", {"size": 4}, True, {"len": "0123"})


def test_raising_function_is_http_500_with_the_error() -> None:
    with serving() as server:
        payload = {"expected_result": {"result": "failure", "reason": "hotel"}}
        status, body = _post(f"{server.url}/reserve_hotel",
                             json.dumps({"payload": payload, "request_id": "r2"}).encode())
        assert status == 500
        assert body["error"] == "RuntimeError: hotel failed (injected)"
        assert [c.ok for c in server.take_calls()] == [False]


@pytest.mark.parametrize(("path", "body", "status"), [
    ("/nope", b'{"payload": 1, "request_id": "r"}', 404),
    ("/gen", b"{not json", 400),
    ("/gen", b'{"payload": 1}', 400),
])
def test_bad_requests(path: str, body: bytes, status: int) -> None:
    with serving() as server:
        assert _post(server.url + path, body)[0] == status
        assert server.take_calls() == []


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def test_cli_serves_until_stopped(tmp_path: Path) -> None:
    port = _free_port()
    proc = subprocess.Popen([sys.executable, "-m", "xaas_parsl.cli.main", "flow", "serve",
                             "--functions", str(STUBS), "--port", str(port), "--storage",
                             str(tmp_path / "s"), "--no-log"], stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                status, body = _post(f"http://127.0.0.1:{port}/measure",
                                     b'{"payload": {"num_samples": 3}, "request_id": "x"}')
                break
            except urllib.error.URLError:
                if time.monotonic() > deadline or proc.poll() is not None:
                    raise
                time.sleep(0.2)
        assert (status, body["payload"]) == (200, {"samples": 3, "detour": 3})
    finally:
        proc.terminate()
        proc.wait(10)


def test_cli_needs_something_to_serve(capsys: pytest.CaptureFixture[str]) -> None:
    from xaas_parsl.cli.main import main

    assert main(["flow", "serve"]) == 1
    assert "nothing to serve" in capsys.readouterr().err


def test_cli_port_in_use_is_one_line(capsys: pytest.CaptureFixture[str]) -> None:
    from xaas_parsl.cli.main import main

    with serving() as server:
        port = server.url.rsplit(":", 1)[1]
        assert main(["flow", "serve", "--functions", str(STUBS), "--port", port]) == 1
    assert f"cannot listen on 127.0.0.1:{port}" in capsys.readouterr().err
