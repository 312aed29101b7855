"""The workflow functions over HTTP on loopback, so translated workflows run against real endpoints.

Emulators of the cloud orchestrators (aws-local-stepfunctions, workflows-emulator, the Durable
orchestrator test wrapper) execute a translated definition but need something to call for each
task. ``xaas flow serve`` answers ``POST /<func_name>`` with the same function sources and the
same worker code as the local executor (``xaas_parsl.flow.worker.invoke``: envelope unwrapped,
runtime context set, storage counted), so the only difference between a local run and an
emulated one is who walks the states. That is what makes "same output, same calls" a test of
the translation and nothing else.

Wire format (docs/flow.md §2): the request body is ``{"payload": ..., "request_id": ...}``; the
answer is ``{"payload": <new payload>, "request_id": ...}`` with HTTP 200, or HTTP 500 with
``{"error": "<Type>: <message>", "request_id": ...}`` when the handler raises. Every call is
recorded (function, input payload, outcome) so tests can compare the multiset of calls.

Hardening (the server faces whatever a local process sends): a socket timeout per request (a
slow or silent client loses its connection after ``request_timeout`` s instead of holding a
thread forever), at most ``max_handlers`` handler threads (a fixed pool fed by a queue of at
most ``max_queued`` accepted connections; beyond that a connection gets an immediate 503, so
many slow clients cost a bounded number of threads, not one each), a listen backlog of
``BACKLOG`` (200 parallel clients are queued, not reset),
``Content-Length`` checked (missing, not a number, negative or above ``MAX_BODY`` is a 4xx
answer), bodies parsed within the JSON budgets (:mod:`xaas_parsl.budget`), and the recorded
calls bounded by count and by bytes (oldest dropped first; ``xaas flow serve`` records none).
"""

from __future__ import annotations

import json
import queue
import select
import socket
import threading
import uuid
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path
from typing import Any

from xaas_parsl.budget import parse_json
from xaas_parsl.errors import InputError
from xaas_parsl.flow.functions import Source, locate
from xaas_parsl.flow.storage import storage_spec
from xaas_parsl.flow.worker import HandlerFailed, invoke

MAX_BODY = 16 * 1024 * 1024  # above every provider's payload limit (Lambda: 6 MB)
BACKLOG = 512
REQUEST_TIMEOUT_S = 30.0
MAX_RECORDED_CALLS = 10_000
MAX_RECORDED_BYTES = 64 * 1024 * 1024
MAX_HANDLERS = 64  # handler threads; a keep-alive connection holds one while it is open
MAX_QUEUED = 1024  # accepted connections waiting for a handler; beyond: 503
BUSY_DRAIN_S = 0.05  # how long a refused connection's request may take to arrive


@dataclass(frozen=True)
class ServedCall:
    """One call the server answered: what came in and what went out (or the error)."""

    func_name: str
    payload: Any
    request_id: str
    ok: bool
    output: Any = None
    error: str | None = None
    record: dict[str, Any] | None = None  # the worker's measurement (SeBS-Flow's columns)


class FunctionServer(HTTPServer):
    """An HTTP server bound to 127.0.0.1 serving the functions of ``sources`` with a bounded
    pool of handler threads (``ThreadingHTTPServer`` starts one thread per connection, without
    limit: 1,000 silent clients were 1,000 threads)."""

    request_queue_size = BACKLOG

    def __init__(self, sources: Sequence[Source], storage: str | Path, port: int = 0,
                 quiet: bool = True, request_timeout: float = REQUEST_TIMEOUT_S,
                 max_calls: int = MAX_RECORDED_CALLS,
                 max_bytes: int = MAX_RECORDED_BYTES, max_handlers: int = MAX_HANDLERS,
                 max_queued: int = MAX_QUEUED) -> None:
        self.sources = tuple(sources)
        self.storage = storage_spec(storage)
        if self.storage["kind"] == "local":
            Path(self.storage["root"]).mkdir(parents=True, exist_ok=True)
        self.quiet = quiet
        self.request_timeout = request_timeout
        self.max_calls, self.max_bytes = max_calls, max_bytes
        self.calls: deque[tuple[ServedCall, int]] = deque()
        self.recorded_bytes = 0
        self.dropped = 0
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self.max_handlers = max(1, max_handlers)
        self._pending: queue.Queue[tuple[socket.socket, Any] | None] = queue.Queue(
            max(1, max_queued))
        self._handlers: list[threading.Thread] = []
        self.refused = 0
        # StreamRequestHandler applies ``timeout`` to every read/write of a connection and
        # BaseHTTPRequestHandler closes the connection when it fires
        handler = type("_TimedHandler", (_Handler,), {"timeout": request_timeout})
        super().__init__(("127.0.0.1", port), handler)

    @property
    def url(self) -> str:
        """``http://127.0.0.1:<port>``: append ``/<func_name>`` for a function's endpoint."""
        return f"http://127.0.0.1:{self.server_address[1]}"

    def record(self, call: ServedCall, size: int) -> None:
        """Keep ``call`` (``size``: its request and answer bytes), dropping the oldest calls
        beyond ``max_calls`` or ``max_bytes``."""
        with self._lock:
            self.calls.append((call, size))
            self.recorded_bytes += size
            while self.calls and (len(self.calls) > self.max_calls
                                  or self.recorded_bytes > self.max_bytes):
                _, old = self.calls.popleft()
                self.recorded_bytes -= old
                self.dropped += 1

    def take_calls(self) -> list[ServedCall]:
        """The calls recorded so far, clearing the list (one test run after another)."""
        with self._lock:
            out = [call for call, _ in self.calls]
            self.calls.clear()
            self.recorded_bytes = 0
        return out

    def start(self) -> FunctionServer:
        """Serve in a daemon thread (for tests and in-process emulators); returns ``self``."""
        self._thread = threading.Thread(target=self.serve_forever, name="xaas-flow-serve",
                                        daemon=True)
        self._thread.start()
        return self

    def close(self) -> None:
        if self._thread is not None:
            self.shutdown()
            self._thread.join()
        self.server_close()

    @property
    def handler_threads(self) -> int:
        """Handler threads started so far (never more than ``max_handlers``)."""
        return len(self._handlers)

    def process_request(self, request: Any, client_address: Any) -> None:
        """Queue the accepted connection for the handler pool (started lazily, up to
        ``max_handlers`` threads); a full queue answers 503 at once."""
        try:
            self._pending.put_nowait((request, client_address))
        except queue.Full:
            self.refused += 1
            self._refuse(request)
            return
        if len(self._handlers) < self.max_handlers:
            worker = threading.Thread(target=self._handle_queued, daemon=True,
                                      name=f"xaas-flow-handler-{len(self._handlers)}")
            self._handlers.append(worker)
            worker.start()

    def _handle_queued(self) -> None:
        while (item := self._pending.get()) is not None:
            request, client_address = item
            try:
                self.finish_request(request, client_address)
            except Exception:
                self.handle_error(request, client_address)
            finally:
                self.shutdown_request(request)

    def _refuse(self, request: socket.socket) -> None:
        """503 with ``Connection: close``. What the client already sent is read first
        (waiting at most ``BUSY_DRAIN_S``): closing a socket with unread data resets the
        connection, and the client would see the reset instead of the answer."""
        body = json.dumps({"error": "server busy: every handler is taken, retry later"})
        answer = ("HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/json\r\n"
                  f"Content-Length: {len(body)}\r\nRetry-After: 1\r\n"
                  f"Connection: close\r\n\r\n{body}").encode()
        try:
            request.setblocking(False)
            if select.select([request], [], [], BUSY_DRAIN_S)[0]:
                for _ in range(16):
                    if not request.recv(65536):
                        break
        except OSError:
            pass
        try:
            request.settimeout(BUSY_DRAIN_S)
            request.sendall(answer)
        except OSError:
            pass
        self.shutdown_request(request)

    def server_close(self) -> None:
        """Close the listening socket, the connections still queued, and stop the pool."""
        super().server_close()
        while True:
            try:
                item = self._pending.get_nowait()
            except queue.Empty:
                break
            if item is not None:
                self.shutdown_request(item[0])
        for _ in self._handlers:
            try:
                self._pending.put_nowait(None)
            except queue.Full:
                break

    def call(self, func_name: str, envelope: dict[str, Any],
             size: int = 0) -> tuple[int, dict[str, Any]]:
        """One call as ``(HTTP status, answer body)``; the handler code path of the executor."""
        request_id = str(envelope["request_id"])
        spec = {"state": func_name, "attempt": 1, "provider_request_id": uuid.uuid4().hex,
                "sources": self.sources, "storage": self.storage, "copy": True}
        payload = envelope["payload"]
        try:
            result = invoke(func_name, envelope, spec)
        except HandlerFailed as exc:
            self.record(ServedCall(func_name, payload, request_id, False, error=exc.message,
                                   record=exc.record), size + len(exc.message))
            return 500, {"error": exc.message, "request_id": request_id}
        answer = {"payload": result["payload"], "request_id": request_id}
        self.record(ServedCall(func_name, payload, request_id, True, output=result["payload"],
                               record=result["record"]), size * 2)
        return 200, answer


class _Handler(BaseHTTPRequestHandler):
    server: FunctionServer
    protocol_version = "HTTP/1.1"

    def _answer(self, status: int, body: dict[str, Any]) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_POST(self) -> None:
        func_name = self.path.strip("/").split("?", 1)[0]
        given = self.headers.get("Content-Length")
        if given is None or not given.strip().isdigit():
            self.close_connection = True  # the body's end is unknown: no keep-alive
            self._answer(411 if given is None else 400,
                         {"error": f"Content-Length must be a number >= 0, not {given!r}"})
            return
        length = int(given)
        if length > MAX_BODY:
            self.close_connection = True
            self._answer(413, {"error": f"body of {length} bytes exceeds {MAX_BODY}"})
            return
        raw = self.rfile.read(length)
        if not func_name or "/" in func_name or locate(func_name, self.server.sources) is None:
            self._answer(404, {"error": f"no function {func_name!r}"})
            return
        try:
            envelope = parse_json(raw.decode("utf-8") or "null", "body")
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            self._answer(400, {"error": f"body is not JSON: {exc}"})
            return
        except InputError as exc:  # over a budget (nesting, size, long numbers)
            self._answer(413, {"error": exc.problem})
            return
        if not isinstance(envelope, dict) or "payload" not in envelope \
                or "request_id" not in envelope:
            self._answer(400, {"error": "body must be {\"payload\": ..., \"request_id\": ...}"})
            return
        status, body = self.server.call(func_name, envelope, len(raw))
        self._answer(status, body)

    def log_message(self, format: str, *args: Any) -> None:
        if not self.server.quiet:
            super().log_message(format, *args)
