"""Static validity (statelint AND asl-validator on every translation) and one regression test
per known bug of SeBS's ASL generator (reference README §2.4); the run-time side of those bugs
is exercised by ``test_asl_exec`` (switch on ``a.b``, multi-state map bodies, map-rooted and
nested parallel branches, compensation input)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.flow.translate.asl_tools import (
    asl_validator,
    need_node_tools,
    need_statelint,
    statelint,
)
from tests.flow.translate.extra import EXTRA, LOOP, NESTED, RETRY, SWITCH
from tests.flow.translate.harness import NINE, definition
from xaas_parsl.flow.load import load_workflow, workflow_from_data
from xaas_parsl.flow.translate.asl_emit import LAMBDA_INVOKE, emit_asl, emit_asl_data
from xaas_parsl.flow.translate.endpoints import Endpoints

# retry/timeout on a loop and a repeat, integral backoff (statelint wants "2.0", not "2")
RETRY_INT: dict[str, Any] = {"root": "l", "states": {
    "l": {"type": "loop", "func_name": "f", "array": "xs", "next": "r", "timeout_s": 5,
          "retry": {"max_attempts": 2, "interval_s": 3, "backoff_rate": 2}},
    "r": {"type": "repeat", "func_name": "f", "count": 2,
          "retry": {"max_attempts": 5, "interval_s": 1, "backoff_rate": 1}}}}


def _asl(data: dict[str, Any]) -> dict[str, Any]:
    return emit_asl_data(workflow_from_data(data, "x.json"), Endpoints().aws)[0]


@pytest.fixture(scope="module")
def translated(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    out = tmp_path_factory.mktemp("asl")
    paths = []
    for stem in NINE:
        path = out / f"{stem}.asl.json"
        path.write_text(emit_asl(load_workflow(definition(stem)), Endpoints().aws))
        paths.append(path)
    seen = set()
    for name, data, _ in (*EXTRA, ("retry", RETRY, None), ("retry-int", RETRY_INT, None)):
        if id(data) not in seen:
            seen.add(id(data))
            path = out / f"{name}.asl.json"
            path.write_text(json.dumps(_asl(data)))
            paths.append(path)
    return paths


def test_statelint_accepts_every_translation(translated: list[Path]) -> None:
    need_statelint()
    done = statelint(translated)
    assert done.returncode == 0 and not done.stdout.strip(), done.stdout + done.stderr


def test_asl_validator_accepts_every_translation(translated: list[Path]) -> None:
    need_node_tools()
    done = asl_validator(translated)
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout.count("is valid") == len(translated)


def test_validators_do_reject_a_broken_machine(tmp_path: Path) -> None:
    """The checks above can fail: a dangling Next is caught by both tools."""
    need_statelint()
    need_node_tools()
    path = tmp_path / "bad.json"
    path.write_text(json.dumps({"StartAt": "a", "States": {"a": {"Type": "Pass",
                                                                 "Next": "nowhere"}}}))
    assert statelint([path]).returncode != 0
    assert asl_validator([path]).returncode != 0


def _states(machine: dict[str, Any]) -> dict[str, Any]:
    """Every state of the machine, nested ones included."""
    out: dict[str, Any] = {}
    for name, state in machine["States"].items():
        out[name] = state
        inner = state.get("ItemProcessor") or state.get("Iterator")
        if inner:
            out.update(_states(inner))
        for branch in state.get("Branches", []):
            out.update(_states(branch))
    return out


def test_bug_switch_variable_is_dot_joined() -> None:
    """SeBS: ``"$.payload" + var`` gave ``$.payloada.b``."""
    choice = _asl(SWITCH)["States"]["sw"]
    variables = {r["Variable"] for rule in choice["Choices"] for r in rule["And"]
                 if "Variable" in r}
    assert variables == {"$.a.b", "$.name"}


def test_bug_comparators_are_type_guarded_and_ne_exists() -> None:
    """SeBS chose Numeric/String by val only (no guard, no ``!=``); ours guard the type."""
    rules = _asl(SWITCH)["States"]["sw"]["Choices"]
    assert rules[0]["And"][0] == {"Variable": "$.a.b", "IsNumeric": True}
    assert rules[0]["And"][1]["NumericGreaterThanEquals"] == 10
    assert rules[1]["And"] == [{"Variable": "$.name", "IsString": True},
                               {"Not": {"Variable": "$.name", "StringEquals": "x"}}]


def test_bug_map_uses_item_processor_and_item_selector() -> None:
    """SeBS used the legacy Iterator/Parameters."""
    m = _asl(NESTED)["States"]["m"]
    assert "Iterator" not in m and "Parameters" not in m
    assert m["ItemProcessor"]["ProcessorConfig"] == {"Mode": "INLINE"}
    assert m["ItemSelector"] == {"array_element.$": "$$.Map.Item.Value",
                                 "cfg.k.$": "$.cfg.k", "tag.$": "$.tag"}
    assert m["ResultPath"] == "$.out.items"


def test_bug_multi_state_map_body_keeps_its_data_flow() -> None:
    """SeBS removed ResultPath from every body state; ours write the function's payload as the
    state output in every body state (OutputPath), so the second state sees the first's result."""
    body = _asl(NESTED)["States"]["m"]["ItemProcessor"]["States"]
    assert len(body) == 2
    for state in body.values():
        assert state["OutputPath"] == "$.Payload.payload" and "ResultPath" not in state


def test_bug_loop_has_no_random_result_key() -> None:
    """SeBS threw loop results into ``$.<8 random hex>`` (not reproducible, statelint-invalid
    when it started with a digit); ours discard them with ResultPath null, deterministically."""
    first, second = _asl(LOOP), _asl(LOOP)
    assert first == second
    loop = first["States"]["l"]
    assert loop["ResultPath"] is None and loop["MaxConcurrency"] == 1


def test_bug_parallel_keys_by_branch_root_and_nests() -> None:
    """SeBS keyed with per-branch ResultPath/ResultSelector (map branch gave the bare list) and
    did not handle nested parallels."""
    p = _asl(NESTED)["States"]["p"]
    assert p["ResultSelector"] == {"m2.$": "$[0]", "m.$": "$[1]"}
    assert "ResultPath" not in p
    branch = p["Branches"][0]["States"][p["Branches"][0]["StartAt"]]
    assert branch["Type"] == "Map" and branch["ResultPath"] == "$.items"
    inner = [s for s in _states(p["Branches"][1]).values() if s["Type"] == "Parallel"]
    assert inner and inner[0]["ResultSelector"] == {"x.$": "$[0]", "y.$": "$[1]"}


def test_bug_names_unique_when_a_map_root_repeats_the_map_name() -> None:
    """SeBS produced duplicate state names (invalid ASL); ours rename and keep the original."""
    machine = _asl(NESTED)
    names = []

    def collect(m: dict[str, Any]) -> None:
        for name, state in m["States"].items():
            names.append(name)
            if "ItemProcessor" in state:
                collect(state["ItemProcessor"])
            for b in state.get("Branches", []):
                collect(b)

    collect(machine)
    assert len(names) == len(set(names))
    inner_root = machine["States"]["m"]["ItemProcessor"]["StartAt"]
    assert inner_root != "m"
    assert json.loads(machine["States"]["m"]["ItemProcessor"]["States"][inner_root]["Comment"]
                      .removeprefix("xaas:")) == {"name": "m"}


def test_bug_failure_keeps_the_input_unchanged() -> None:
    """SeBS caught with ResultPath $.payload.error; ours with ResultPath null."""
    machine = emit_asl_data(load_workflow(definition("6200.trip-booking")), Endpoints().aws)[0]
    assert machine["States"]["confirm"]["Catch"] == [
        {"ErrorEquals": ["States.ALL"], "ResultPath": None, "Next": "cancel_flight"}]


def test_bug_tasks_use_the_lambda_invoke_integration() -> None:
    """SeBS called Lambda by bare ARN; ours use lambda:invoke with the envelope."""
    machine = emit_asl_data(load_workflow(definition("620.func-invo")), Endpoints().aws)[0]
    for state in _states(machine).values():
        assert state["Resource"] == LAMBDA_INVOKE
        assert state["Parameters"]["Payload"] == {"payload.$": "$",
                                                  "request_id.$": "$$.Execution.Name"}
    assert machine["States"]["gen"]["Parameters"]["FunctionName"] == \
        "arn:aws:lambda:us-east-1:000000000000:function:gen"
    assert len(machine["States"]) == 9  # gen + 8 chained process calls (repeat 8)


def test_retry_and_timeout_settings() -> None:
    wf = workflow_from_data({"root": "t", "states": {"t": {
        "type": "task", "func_name": "f", "timeout_s": 2.5,
        "retry": {"max_attempts": 4, "interval_s": 0.5, "backoff_rate": 1.5}}}}, "x.json")
    machine, warnings = emit_asl_data(wf, Endpoints().aws)
    task = machine["States"]["t"]
    assert task["Retry"] == [{"ErrorEquals": ["States.ALL"], "MaxAttempts": 3,
                              "IntervalSeconds": 1, "BackoffRate": 1.5}]
    assert task["TimeoutSeconds"] == 3
    assert any("rounded" in w for w in warnings)
