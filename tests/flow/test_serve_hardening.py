"""``FunctionServer`` under hostile clients, for real on loopback: 200 concurrent clients all
answered (no reset, every answer right), slow clients time out, bad ``Content-Length`` and
deep bodies are 4xx answers (the server keeps serving), and the recorded calls stay within
their byte budget over 1,000 large requests; many slow clients cost a bounded number of
handler threads (the rest get a 503)."""

from __future__ import annotations

import http.client
import json
import select
import socket
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from tests.flow.conftest import FUNCTIONS
from xaas_parsl.flow.functions import sources_for
from xaas_parsl.flow.serve import FunctionServer


@pytest.fixture
def server(tmp_path: Path) -> Iterator[FunctionServer]:
    srv = FunctionServer(sources_for([FUNCTIONS]), tmp_path / "storage", request_timeout=1.0,
                         max_bytes=1024 * 1024).start()
    yield srv
    srv.close()


def post(port: int, path: str, body: bytes, headers: dict[str, str] | None = None,
         timeout: float = 60) -> tuple[int, dict[str, object]]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        conn.request("POST", path, body=body, headers=headers or {})
        answer = conn.getresponse()
        return answer.status, json.loads(answer.read() or b"null")
    finally:
        conn.close()


def raw(port: int, data: bytes, timeout: float = 10) -> bytes:
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as conn:
        conn.sendall(data)
        chunks = []
        while chunk := conn.recv(65536):
            chunks.append(chunk)
    return b"".join(chunks)


def test_200_concurrent_clients_all_answered_right(server: FunctionServer) -> None:
    port = server.server_address[1]

    def one(i: int) -> tuple[int, object]:
        body = json.dumps({"payload": {"value": i}, "request_id": f"r{i}"}).encode()
        status, answer = post(port, "/echo", body)
        return status, answer.get("payload")

    with ThreadPoolExecutor(max_workers=200) as pool:
        results = list(pool.map(one, range(200)))
    assert results == [(200, {"value": i}) for i in range(200)]


def test_slow_client_times_out_and_the_server_keeps_serving(server: FunctionServer) -> None:
    port = server.server_address[1]
    silent = [socket.create_connection(("127.0.0.1", port)) for _ in range(20)]
    try:
        for conn in silent:
            conn.sendall(b"POST /echo HTTP/1.1\r\nContent-Length: 100\r\n\r\n{")  # then nothing
        start = time.monotonic()
        for conn in silent:
            conn.settimeout(10)
            assert conn.recv(1024) == b""  # closed by the server after request_timeout
        assert time.monotonic() - start < 10
    finally:
        for conn in silent:
            conn.close()
    body = json.dumps({"payload": 1, "request_id": "x"}).encode()
    assert post(port, "/echo", body) == (200, {"payload": 1, "request_id": "x"})


@pytest.mark.parametrize(("length", "status"), [("abc", 400), ("-5", 400), ("1e3", 400),
                                                (str(10**12), 413)])
def test_bad_content_length_is_a_4xx_answer(server: FunctionServer, length: str,
                                            status: int) -> None:
    port = server.server_address[1]
    answer = raw(port, f"POST /echo HTTP/1.1\r\nContent-Length: {length}\r\n\r\n{{}}".encode())
    assert answer.startswith(f"HTTP/1.1 {status} ".encode()), answer[:80]
    assert post(port, "/echo", b'{"payload": 2, "request_id": "y"}')[0] == 200


def test_missing_content_length_and_deep_body(server: FunctionServer) -> None:
    port = server.server_address[1]
    answer = raw(port, b"POST /echo HTTP/1.1\r\n\r\n")
    assert answer.startswith(b"HTTP/1.1 411 ")
    deep = b'{"payload": ' + b"[" * 100_000 + b"]" * 100_000 + b', "request_id": "d"}'
    status, body = post(port, "/echo", deep)
    assert status == 413 and "nested deeper" in str(body["error"])
    status, body = post(port, "/echo", b"\xff\xfe")
    assert status == 400


def test_recorded_calls_stay_within_their_byte_budget(server: FunctionServer) -> None:
    port = server.server_address[1]
    big = "x" * 100_000
    for i in range(1000):
        body = json.dumps({"payload": {"blob": big}, "request_id": f"b{i}"}).encode()
        assert post(port, "/echo", body)[0] == 200
        assert server.recorded_bytes <= server.max_bytes
    calls = server.take_calls()
    assert 0 < len(calls) <= 10 and server.dropped >= 990
    assert calls[-1].request_id == "b999"  # the newest are kept


def test_slow_clients_cost_a_bounded_number_of_threads(tmp_path: Path) -> None:
    """100 silent clients against 8 handlers and a queue of 8: the thread count stays
    bounded, the clients beyond the queue get a 503 (not a reset), a normal request while
    full gets a 503 too, and the server answers normally once the clients are gone."""
    srv = FunctionServer(sources_for([FUNCTIONS]), tmp_path / "storage", request_timeout=30,
                         max_handlers=8, max_queued=8).start()
    port = srv.server_address[1]
    before = threading.active_count()
    silent = []
    try:
        for _ in range(100):
            conn = socket.create_connection(("127.0.0.1", port))
            conn.sendall(b"POST /echo HTTP/1.1\r\nContent-Length: 100\r\n\r\n{")
            silent.append(conn)
        deadline = time.monotonic() + 30
        while srv.refused < 100 - 16 and time.monotonic() < deadline:
            time.sleep(0.1)
        assert srv.refused == 100 - 16 and srv.handler_threads == 8
        assert threading.active_count() <= before + 8
        busy = [conn for conn in silent if _ready(conn)]
        assert len(busy) == 100 - 16
        assert all(conn.recv(4096).startswith(b"HTTP/1.1 503 ") for conn in busy)
        status, answer = post(port, "/echo", b'{"payload": 1, "request_id": "z"}')
        assert status == 503 and "busy" in str(answer["error"])
    finally:
        for conn in silent:
            conn.close()
    try:
        body = json.dumps({"payload": 2, "request_id": "w"}).encode()
        assert post(port, "/echo", body, timeout=20) == (200, {"payload": 2, "request_id": "w"})
        assert threading.active_count() <= before + 8
    finally:
        srv.close()


def _ready(conn: socket.socket) -> bool:
    """Whether the server has written to (or closed) ``conn``."""
    return bool(select.select([conn], [], [], 0)[0])
