"""Semantic equivalence by execution: ASL on aws-local-stepfunctions vs the local executor.

Every case (the nine definitions with deterministic stubs, the trip-booking success and failure
paths, and the extra constructs of ``extra.py``) is translated to ASL, run on the emulator with
every Task calling ``xaas flow serve``, and compared with the local executor on the same input:
same success or failure, same final payload, same multiset of calls (function, input payload,
outcome). One node process per group of cases, one server per function directory.
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from tests.flow.translate.asl_tools import need_node_tools, run_on_emulator
from tests.flow.translate.extra import EXTRA, FUNCTIONS
from tests.flow.translate.harness import (
    CASES,
    STUBS,
    Outcome,
    definition,
    run_local,
    served_calls,
    serving,
)
from xaas_parsl.errors import InputError
from xaas_parsl.flow.load import load_workflow, workflow_from_data
from xaas_parsl.flow.model import Workflow
from xaas_parsl.flow.translate.asl_emit import emit_asl_data
from xaas_parsl.flow.translate.endpoints import Endpoints

Case = tuple[str, Workflow, Path | dict[str, Any], Any]


def _cases() -> tuple[list[Case], list[Case]]:
    nine = [(name, load_workflow(definition(stem)), definition(stem), payload)
            for name, stem, payload in CASES]
    extra = [(name, workflow_from_data(data, name), data, payload)
             for name, data, payload in EXTRA]
    return nine, extra


def _emulate(cases: list[Case], functions: Path) -> dict[str, Outcome]:
    jobs = [{"definition": emit_asl_data(wf, Endpoints().aws)[0], "input": payload,
             "request_id": name} for name, wf, _, payload in cases]
    with serving(functions) as server:
        results = run_on_emulator(jobs, server.url)
        calls = server.take_calls()
    out = {}
    for (name, *_), result in zip(cases, results, strict=True):
        mine = served_calls([c for c in calls if c.request_id == name])
        out[name] = Outcome(result["ok"], result.get("output"), result.get("cause"), mine)
    return out


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple[Outcome, Outcome]]:
    need_node_tools()
    tmp = tmp_path_factory.mktemp("extra")
    nine, extra = _cases()
    emulated = {**_emulate(nine, STUBS), **_emulate(extra, FUNCTIONS)}
    pairs = {}
    for group, functions in ((nine, STUBS), (extra, FUNCTIONS)):
        for name, _, source, payload in group:
            if isinstance(source, dict):
                path = tmp / f"{name}.json"  # the reference run reads a file
                path.write_text(json.dumps(source))
                source = path
            pairs[name] = (run_local(source, payload, functions), emulated[name])
    return pairs


ALL = [name for name, _, _ in CASES] + [name for name, _, _ in EXTRA]

# aws-local-stepfunctions 3.0.0 queues Map iterations with p-limit and starts the next queued one
# when a running one fails, before it aborts the Map (build/main.node.esm.js, MapStateAction);
# Step Functions stops the Map instead. So a loop (Map, MaxConcurrency 1) whose element fails
# makes the remaining elements' calls on the emulator only. The outcome is the same.
EMULATOR_EXTRA_CALLS = {"loop-fails": Counter({("positive", "3", True): 1})}


@pytest.mark.parametrize("case", ALL)
def test_same_output_and_calls_as_local_executor(runs: dict[str, tuple[Outcome, Outcome]],
                                                 case: str) -> None:
    local, asl = runs[case]
    assert asl.ok == local.ok, (asl.error, local.error)
    assert asl.output == local.output
    assert asl.calls == local.calls + EMULATOR_EXTRA_CALLS.get(case, Counter())
    assert sum(local.calls.values()) > 0


def test_trip_booking_paths(runs: dict[str, tuple[Outcome, Outcome]]) -> None:
    """Success confirms; a confirm failure compensates in order; a hotel failure fails the run."""
    _, success = runs["trip-success"]
    _, confirm = runs["trip-confirm"]
    _, hotel = runs["trip-hotel"]
    assert success.ok and success.output["status"] == "success"
    assert not any(f.startswith("cancel_") for f, _, _ in success.calls)
    assert confirm.ok and confirm.output["status"] == "failure"
    assert Counter(f for f, _, ok in confirm.calls if ok) == Counter(
        ["reserve_hotel", "reserve_rental", "reserve_flight", "cancel_flight", "cancel_rental",
         "cancel_hotel"])
    # the compensation received exactly the input confirm received (no error key added)
    [confirm_in] = [p for f, p, ok in confirm.calls if f == "confirm"]
    [cancel_in] = [p for f, p, _ in confirm.calls if f == "cancel_flight"]
    assert cancel_in == confirm_in and "error" not in json.loads(cancel_in)
    assert not hotel.ok and list(hotel.calls) == [(f, p, False) for f, p, _ in hotel.calls]
    assert "hotel failed (injected)" in (hotel.error or "")


@pytest.mark.parametrize(("fail_times", "ok"), [(2, True), (3, False)])
def test_retry_runs_like_the_local_executor(tmp_path: Path, fail_times: int, ok: bool) -> None:
    """``retry: {max_attempts: 3}`` becomes ``Retry`` with ``MaxAttempts: 2``: a function failing
    twice succeeds on the third attempt on both; failing three times fails both runs. The
    counter file differs per run, so calls are compared as (function, outcome) sequences."""
    need_node_tools()
    from tests.flow.translate.extra import RETRY

    path = tmp_path / "retry.json"
    path.write_text(json.dumps(RETRY))
    local = run_local(path, {"counter": str(tmp_path / "a"), "fail_times": fail_times},
                      FUNCTIONS)
    machine = emit_asl_data(load_workflow(path), Endpoints().aws)[0]
    with serving(FUNCTIONS) as server:
        [result] = run_on_emulator([{"definition": machine, "request_id": "retry", "input": {
            "counter": str(tmp_path / "b"), "fail_times": fail_times}}], server.url)
        calls = server.take_calls()
    assert result["ok"] is local.ok is ok
    assert [c.ok for c in calls] == ([False] * fail_times + [True] if ok else [False] * 3)
    assert Counter((f, o) for f, _, o in local.calls.elements()) == \
        Counter((c.func_name, c.ok) for c in calls)
    if ok:
        assert result["output"]["calls"] == local.output["calls"] == fail_times + 1


ODD_NAMES: dict[str, Any] = {"root": "m", "states": {
    "m": {"type": "map", "array": "the-list.0.items", "result": "out_put",
          "common_params": "a-b,c d", "root": "t", "next": "s",
          "states": {"t": {"type": "task", "func_name": "echo"}}},
    "s": {"type": "switch", "cases": [{"var": "x-y", "op": "==", "val": "q", "next": "e"}],
          "default": "e"},
    "e": {"type": "task", "func_name": "inc"}}}


def test_payload_keys_outside_the_reference_path_grammar(tmp_path: Path) -> None:
    """Keys like ``the-list`` or ``c d`` become bracket paths (``$['the-list'][0]``); the
    translator warns (statelint rejects them), and the emulator runs them like the executor.
    As a map's ResultPath they are an error (the emulator wrote such a path to a key "$")."""
    need_node_tools()
    bad = json.loads(json.dumps(ODD_NAMES))
    bad["states"]["m"]["result"] = "out put"
    with pytest.raises(InputError, match="'out put' cannot be part of an ASL ResultPath"):
        emit_asl_data(workflow_from_data(bad, "odd.json"), Endpoints().aws)
    wf = workflow_from_data(ODD_NAMES, "odd.json")
    machine, warnings = emit_asl_data(wf, Endpoints().aws)
    assert machine["States"]["m"]["ItemsPath"] == "$['the-list'][0].items"
    assert sum("reference-path grammar" in w for w in warnings) == 4
    payload = {"the-list": [{"items": [1, 2]}], "a-b": 1, "c d": 2, "x-y": "q", "n": 0}
    path = tmp_path / "odd.json"
    path.write_text(json.dumps(ODD_NAMES))
    local = run_local(path, payload, FUNCTIONS)
    with serving(FUNCTIONS) as server:
        [result] = run_on_emulator([{"definition": machine, "input": payload,
                                     "request_id": "odd"}], server.url)
        calls = served_calls(server.take_calls())
    assert result["ok"] and local.ok and result["output"] == local.output and calls == local.calls
    assert local.output["out_put"] == [{"array_element": 1, "a-b": 1, "c d": 2},
                                       {"array_element": 2, "a-b": 1, "c d": 2}]
