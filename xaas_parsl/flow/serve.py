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
"""

from __future__ import annotations

import json
import threading
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from xaas_parsl.flow.functions import Source, locate
from xaas_parsl.flow.storage import storage_spec
from xaas_parsl.flow.worker import HandlerFailed, invoke

MAX_BODY = 64 * 1024 * 1024  # far above every provider's payload limit; protects the server


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


class FunctionServer(ThreadingHTTPServer):
    """A ``ThreadingHTTPServer`` bound to 127.0.0.1 serving the functions of ``sources``."""

    daemon_threads = True

    def __init__(self, sources: Sequence[Source], storage: str | Path, port: int = 0,
                 quiet: bool = True) -> None:
        self.sources = tuple(sources)
        self.storage = storage_spec(storage)
        if self.storage["kind"] == "local":
            Path(self.storage["root"]).mkdir(parents=True, exist_ok=True)
        self.quiet = quiet
        self.calls: list[ServedCall] = []
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        super().__init__(("127.0.0.1", port), _Handler)

    @property
    def url(self) -> str:
        """``http://127.0.0.1:<port>``: append ``/<func_name>`` for a function's endpoint."""
        return f"http://127.0.0.1:{self.server_address[1]}"

    def record(self, call: ServedCall) -> None:
        with self._lock:
            self.calls.append(call)

    def take_calls(self) -> list[ServedCall]:
        """The calls recorded so far, clearing the list (one test run after another)."""
        with self._lock:
            out, self.calls = self.calls, []
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

    def call(self, func_name: str, envelope: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        """One call as ``(HTTP status, answer body)``; the handler code path of the executor."""
        request_id = str(envelope["request_id"])
        spec = {"state": func_name, "attempt": 1, "provider_request_id": uuid.uuid4().hex,
                "sources": self.sources, "storage": self.storage, "copy": True}
        payload = envelope["payload"]
        try:
            result = invoke(func_name, envelope, spec)
        except HandlerFailed as exc:
            self.record(ServedCall(func_name, payload, request_id, False, error=exc.message,
                                   record=exc.record))
            return 500, {"error": exc.message, "request_id": request_id}
        self.record(ServedCall(func_name, payload, request_id, True, output=result["payload"],
                               record=result["record"]))
        return 200, {"payload": result["payload"], "request_id": request_id}


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
        length = int(self.headers.get("Content-Length") or 0)
        if length > MAX_BODY:
            self._answer(413, {"error": f"body of {length} bytes exceeds {MAX_BODY}"})
            return
        raw = self.rfile.read(length)
        if not func_name or "/" in func_name or locate(func_name, self.server.sources) is None:
            self._answer(404, {"error": f"no function {func_name!r}"})
            return
        try:
            envelope = json.loads(raw or b"null")
        except json.JSONDecodeError as exc:
            self._answer(400, {"error": f"body is not JSON: {exc}"})
            return
        if not isinstance(envelope, dict) or "payload" not in envelope \
                or "request_id" not in envelope:
            self._answer(400, {"error": "body must be {\"payload\": ..., \"request_id\": ...}"})
            return
        status, body = self.server.call(func_name, envelope)
        self._answer(status, body)

    def log_message(self, format: str, *args: Any) -> None:
        if not self.server.quiet:
            super().log_message(format, *args)
