"""Shared by every translation test: reference runs, the function server, the nine inputs.

The reference semantics are the local executor's (``xaas_parsl.flow.runner`` with
``executor=None``); a translated definition is correct when an emulator running it against
``xaas flow serve`` gives the same final payload (or fails likewise) and the same multiset of
function calls. Calls are compared as ``(func_name, canonical JSON of the input payload, ok)``:
the payload a call received shows the data flow, not only that the function ran.

Everything runs with the deterministic stubs of ``stubs/`` so outputs are comparable byte for
byte. ``INPUTS`` holds one small input per definition plus the trip-booking variants
(``trip-success``, ``trip-confirm`` handled by compensation, ``trip-hotel`` failing the run).
"""

from __future__ import annotations

import json
import tempfile
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from xaas_parsl.flow.calls import CallRequest, Record, Successor
from xaas_parsl.flow.engine import Engine, WorkflowFailed
from xaas_parsl.flow.functions import sources_for
from xaas_parsl.flow.invokers import LocalInvoker
from xaas_parsl.flow.load import load_workflow
from xaas_parsl.flow.serve import FunctionServer, ServedCall
from xaas_parsl.flow.storage import storage_spec

HERE = Path(__file__).resolve().parent
STUBS = HERE / "stubs"
DATA = HERE.parent / "data"
NINE = ("620.func-invo", "630.parallel-sleep", "631.parallel-download", "640.selfish-detour",
        "650.vid", "660.map-reduce", "6200.trip-booking", "6100.1000-genome", "690.ml")


def _trip(result: str, reason: str | None = None) -> dict[str, Any]:
    expected: dict[str, Any] = {"result": result}
    if reason:
        expected["reason"] = reason
    return {"flight_depart": "ZRH", "flight_arrive": "KTW", "flight_date": "2025-05-01",
            "hotel_stars": 3, "hotel_nights": 2, "rental_class": "B", "rental_duration": 2,
            "expected_result": expected}


GENOME_INPUT = {
    "bucket": "out", "benchmark_bucket": "bench", "columns_bucket": "in",
    "blob": [{"start_bytes": 0, "end_bytes": 100}, {"start_bytes": 100, "end_bytes": 250}],
    "individuals_file": "ALL.chr21.1250.vcf", "columns": "columns.txt",
    "populations": ["AFR", "EUR", "GBR"], "sifting_input": "sift.vcf",
}

# (case name, definition stem, input payload)
CASES: tuple[tuple[str, str, Any], ...] = (
    ("620.func-invo", "620.func-invo", {"size": 12}),
    ("630.parallel-sleep", "630.parallel-sleep", {"count": 3}),
    ("631.parallel-download", "631.parallel-download", {"count": 2}),
    ("640.selfish-detour", "640.selfish-detour", {"num_samples": 5}),
    ("650.vid", "650.vid", {"video": "cat.mp4", "n_frames": 3}),
    ("660.map-reduce", "660.map-reduce", {"text": "a b a c b a d"}),
    ("trip-success", "6200.trip-booking", _trip("success")),
    ("trip-confirm", "6200.trip-booking", _trip("failure", "confirm")),
    ("trip-hotel", "6200.trip-booking", _trip("failure", "hotel")),
    ("6100.1000-genome", "6100.1000-genome", GENOME_INPUT),
    ("690.ml", "690.ml", {"count": 3}),
)


def definition(stem: str) -> Path:
    """One of the nine shared definitions (the tests' byte-for-byte copies)."""
    return DATA / f"{stem}.json"


def _numbers(value: Any) -> Any:
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, dict):
        return {k: _numbers(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_numbers(v) for v in value]
    return value


def canonical(value: Any) -> str:
    """Sorted-key compact JSON; JSON numbers by value (``10.0`` is ``10``): JavaScript runtimes
    (Step Functions, its emulator) do not keep the difference, and JSON does not define one."""
    return json.dumps(_numbers(value), sort_keys=True, separators=(",", ":"))


@dataclass
class Outcome:
    """How a run ended: ``ok`` with ``output``, or failed with ``error``; the calls made."""

    ok: bool
    output: Any = None
    error: str | None = None
    calls: Counter[tuple[str, str, bool]] = field(default_factory=Counter)


def served_calls(calls: list[ServedCall]) -> Counter[tuple[str, str, bool]]:
    return Counter((c.func_name, canonical(c.payload), c.ok) for c in calls)


class _RecordingInvoker(LocalInvoker):
    """The local invoker, noting every attempt's function, input payload and success."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.seen: Counter[tuple[str, str, bool]] = Counter()

    async def call(self, request: CallRequest, timeout_s: float | None,
                   then: Successor | None = None) -> tuple[Any, Record]:
        try:
            result = await super().call(request, timeout_s, then)
        except Exception:
            self.seen[(request.func_name, canonical(request.payload), False)] += 1
            raise
        self.seen[(request.func_name, canonical(request.payload), True)] += 1
        return result


def run_local(path: Path, payload: Any, functions: Path = STUBS) -> Outcome:
    """The reference: the local executor (threads of this process, no Parsl)."""
    import asyncio

    workflow = load_workflow(path)
    with tempfile.TemporaryDirectory(prefix="xaas-flow-ref-") as tmp:
        invoker = _RecordingInvoker(sources_for([functions]), storage_spec(Path(tmp) / "s"))
        try:
            result = asyncio.run(Engine(invoker, default_timeout_s=60).run(workflow, payload))
        except WorkflowFailed as exc:
            return Outcome(False, error=str(exc), calls=invoker.seen)
        finally:
            invoker.close()
    return Outcome(True, output=result.payload, calls=invoker.seen)


@contextmanager
def serving(functions: Path = STUBS) -> Iterator[FunctionServer]:
    """``xaas flow serve``'s server on a free loopback port, in a thread, for one block."""
    with tempfile.TemporaryDirectory(prefix="xaas-flow-serve-") as tmp:
        server = FunctionServer(sources_for([functions]), Path(tmp) / "storage").start()
        try:
            yield server
        finally:
            server.close()
