"""The code that runs on a worker for one function call (the body of the Parsl app).

``invoke`` unwraps the ``{payload, request_id}`` envelope, gives the handler only the payload,
and measures the call the way SeBS-Flow's wrapper does: wall-clock start and end, whether this
is the function's first call in this worker process (cold; SeBS uses a marker file in the
sandbox), the worker's id (``hostname:pid``) as container id, and the bytes moved through the
object store. A failing handler raises ``HandlerFailed`` carrying the record, so failed calls are
measured too and the error crosses process boundaries as plain strings (a handler's own
exception may not be picklable).
"""

from __future__ import annotations

import copy
import os
import socket
import time
from typing import Any

from xaas_parsl.flow.functions import load_handler
from xaas_parsl.flow.runtime import _CURRENT, CallContext
from xaas_parsl.flow.storage import CountingStore, store_from_spec

# The measurement columns of SeBS-Flow, then ours.
SEBS_COLUMNS = ("func", "start", "end", "is_cold", "container_id", "provider.request_id",
                "blob.upload", "blob.download", "request_id")
COLUMNS = (*SEBS_COLUMNS, "state", "attempt", "ok", "error")

# (function, its sources) already called in this process: later calls are warm.
_WARM: set[tuple[str, tuple[Any, ...]]] = set()
_HOST = socket.gethostname()


class HandlerFailed(Exception):
    """A handler raised; ``args`` are ``(message, record)`` so the error pickles as data."""

    def __init__(self, message: str, record: dict[str, Any]) -> None:
        super().__init__(message, record)

    @property
    def message(self) -> str:
        return str(self.args[0])

    @property
    def record(self) -> dict[str, Any]:
        record: dict[str, Any] = self.args[1]
        return record

    def __str__(self) -> str:
        return self.message


def container_id() -> str:
    """This worker process, as SeBS's container id: ``hostname:pid``."""
    return f"{_HOST}:{os.getpid()}"


def make_record(func_name: str, spec: dict[str, Any], request_id: str, *, start: float,
                end: float, is_cold: bool | None, container: str, uploaded: int = 0,
                downloaded: int = 0, error: str | None = None) -> dict[str, Any]:
    """One measurement record with every column of ``COLUMNS``."""
    return {
        "func": func_name, "start": start, "end": end, "is_cold": is_cold,
        "container_id": container, "provider.request_id": spec["provider_request_id"],
        "blob.upload": uploaded, "blob.download": downloaded, "request_id": request_id,
        "state": spec["state"], "attempt": spec["attempt"], "ok": error is None, "error": error,
    }


def invoke(func_name: str, envelope: dict[str, Any], spec: dict[str, Any]) -> dict[str, Any]:
    """Run ``func_name`` on ``envelope["payload"]``; ``{"payload": out, "record": {...}}``.

    ``spec`` carries what the worker needs besides the envelope: ``sources`` (where functions
    are), ``storage`` (store description), ``state``/``attempt``/``provider_request_id`` (for
    the record) and ``copy`` (deep-copy the payload first: set for in-process executors, where
    the driver still holds the object and a handler mutating it would corrupt the failure path).
    """
    start = time.time()  # re-read once the handler is loaded: imports are not the call's time
    warm_key = (func_name, tuple(spec["sources"]))
    is_cold = warm_key not in _WARM
    _WARM.add(warm_key)
    container = container_id()
    request_id = str(envelope["request_id"])
    storage = CountingStore(store_from_spec(spec["storage"]))
    token = _CURRENT.set(CallContext(func_name, spec["state"], request_id,
                                     spec["provider_request_id"], spec["attempt"], is_cold,
                                     container, storage))
    try:
        handler = load_handler(func_name, spec["sources"])
        start = time.time()
        payload = envelope["payload"]
        output = handler(copy.deepcopy(payload) if spec.get("copy") else payload)
    except (Exception, SystemExit) as exc:
        message = f"{type(exc).__name__}: {exc}"
        raise HandlerFailed(message, make_record(
            func_name, spec, request_id, start=start, end=time.time(), is_cold=is_cold,
            container=container, uploaded=storage.uploaded, downloaded=storage.downloaded,
            error=message)) from None
    finally:
        _CURRENT.reset(token)
    return {"payload": output, "record": make_record(
        func_name, spec, request_id, start=start, end=time.time(), is_cold=is_cold,
        container=container, uploaded=storage.uploaded, downloaded=storage.downloaded)}
