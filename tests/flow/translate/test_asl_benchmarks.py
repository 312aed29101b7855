"""The nine SeBS-Flow benchmarks with their real functions, translated to ASL and run on
aws-local-stepfunctions against ``xaas flow serve --package`` (slow: real computations such as
scikit-learn training and the 1000-genome steps).

Each run's outcome goes through the benchmark's own ``check`` (``xaas_parsl.flow.benchmarks``),
which recomputes the expected output independently of the functions where the output allows it,
with the measurement records the server's workers produced. Trip booking runs all three sizes
(success, unhandled ``hotel`` failure, compensated ``confirm`` failure).
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import pytest

from tests.flow.translate.asl_tools import need_node_tools, run_on_emulator
from xaas_parsl.flow.benchmarks import BENCHMARKS, Outcome
from xaas_parsl.flow.functions import sources_for
from xaas_parsl.flow.load import load_workflow
from xaas_parsl.flow.model import Task, walk
from xaas_parsl.flow.serve import FunctionServer
from xaas_parsl.flow.storage import store_from_spec
from xaas_parsl.flow.translate.asl_emit import emit_asl_data
from xaas_parsl.flow.translate.endpoints import Endpoints

RUNS = [(name, "test") for name in BENCHMARKS] + [("6200.trip-booking", "small"),
                                                  ("6200.trip-booking", "large")]


@pytest.mark.slow
@pytest.mark.parametrize(("name", "size"), RUNS, ids=[f"{n}-{s}" for n, s in RUNS])
def test_real_benchmark_on_emulator_passes_its_check(name: str, size: str) -> None:
    need_node_tools()
    bench = BENCHMARKS[name]
    wf = load_workflow(bench.definition)
    machine = emit_asl_data(wf, Endpoints().aws)[0]
    with tempfile.TemporaryDirectory(prefix="xaas-asl-bench-") as tmp:
        server = FunctionServer(sources_for(packages=[name]), Path(tmp) / "storage").start()
        try:
            store = store_from_spec(server.storage)
            payload = bench.generate(size, store)
            [result] = run_on_emulator([{"definition": machine, "input": payload,
                                         "request_id": f"{name}-{size}"}], server.url)
            calls = server.take_calls()
        finally:
            server.close()
        records = [c.record for c in calls if c.record is not None]
        failed = [c.func_name for c in calls if not c.ok]
        states = {s.call.func_name: s.name for _, s in walk(wf.scope) if isinstance(s, Task)}
        outcome = Outcome(payload=result.get("output"), records=records,
                          failed_state=None if result["ok"] else (states[failed[-1]],),
                          error=result.get("cause"))
        problems = bench.check(size, payload, outcome, store)
    assert problems == [], problems
