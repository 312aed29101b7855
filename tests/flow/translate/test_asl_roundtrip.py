"""Round trips model → ASL → model, and hand-written ASL forms the parser accepts.

With the emitter's metadata the parsed definition equals the original (typed states, so JSON
spelling differences such as ``common_params`` as string or list do not matter). Without the
metadata (``Comment`` stripped, as a person editing the ASL might), task/map/parallel/switch still
come back equal, a loop comes back as a loop (Map, MaxConcurrency 1, ResultPath null) and a
repeat as a chain of tasks, which must behave identically: same output, same calls.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.flow.translate.extra import EXTRA, FUNCTIONS, LOOP, NESTED, REPEAT, SWITCH
from tests.flow.translate.harness import NINE, definition, run_local
from xaas_parsl.flow.load import load_workflow, workflow_from_data
from xaas_parsl.flow.model import Repeat, Task
from xaas_parsl.flow.translate.asl_emit import emit_asl_data
from xaas_parsl.flow.translate.asl_parse import parse_asl
from xaas_parsl.flow.translate.endpoints import Endpoints
from xaas_parsl.flow.translate.sebs_emit import emit_sebs

EP = Endpoints()


def _strip_comments(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _strip_comments(v) for k, v in value.items() if k != "Comment"}
    if isinstance(value, list):
        return [_strip_comments(v) for v in value]
    return value


def _round(data_or_path: dict[str, Any] | Path, strip: bool = False) -> Any:
    wf = load_workflow(data_or_path) if isinstance(data_or_path, Path) else \
        workflow_from_data(data_or_path, "x.json")
    machine = emit_asl_data(wf, EP.aws)[0]
    if strip:
        machine = _strip_comments(machine)
    return wf, parse_asl(json.dumps(machine, indent=2), "x.asl.json", EP.func_for)


@pytest.mark.parametrize("stem", NINE)
def test_nine_round_trip_equal(stem: str) -> None:
    wf, back = _round(definition(stem))
    assert back.scope == wf.scope
    assert emit_sebs(back) == json.loads(definition(stem).read_text())


@pytest.mark.parametrize("data", [SWITCH, NESTED, LOOP, REPEAT], ids=["switch", "nested", "loop",
                                                                      "repeat"])
def test_constructs_round_trip_equal(data: dict[str, Any]) -> None:
    wf, back = _round(data)
    assert back.scope == wf.scope


@pytest.mark.parametrize("data", [SWITCH, NESTED], ids=["switch", "nested"])
def test_without_metadata_task_map_parallel_switch_are_equal_up_to_names(
        data: dict[str, Any]) -> None:
    """Stripped of Comments, only the renamed duplicate names differ (``m`` → ``m_2``)."""
    wf, back = _round(data, strip=True)
    if data is SWITCH:
        assert back.scope == wf.scope
    else:
        assert [type(s) for s in back.scope.states.values()] == \
            [type(s) for s in wf.scope.states.values()]


def test_without_metadata_loop_is_a_loop_and_repeat_a_chain(tmp_path: Path) -> None:
    wf, back = _round(LOOP, strip=True)
    assert back.scope == wf.scope
    wf, back = _round(REPEAT, strip=True)
    assert isinstance(wf.scope.states["r"], Repeat)
    assert all(isinstance(s, Task) for s in back.scope.states.values())
    assert len(back.scope.states) == 4
    original = tmp_path / "orig.json"
    original.write_text(json.dumps(REPEAT))
    chained = tmp_path / "chain.json"
    chained.write_text(json.dumps(emit_sebs(back)))
    a = run_local(original, {"n": 0}, FUNCTIONS)
    b = run_local(chained, {"n": 0}, FUNCTIONS)
    assert a.ok and b.ok and a.output == b.output == {"n": 4} and a.calls == b.calls


def test_behaviour_equal_after_round_trip_for_every_extra_case(tmp_path: Path) -> None:
    for name, data, payload in EXTRA:
        _, back = _round(data, strip=True)
        p1, p2 = tmp_path / f"{name}.a.json", tmp_path / f"{name}.b.json"
        p1.write_text(json.dumps(data))
        p2.write_text(json.dumps(emit_sebs(back)))
        a, b = run_local(p1, payload, FUNCTIONS), run_local(p2, payload, FUNCTIONS)
        assert (a.ok, a.output, a.calls) == (b.ok, b.output, b.calls), name


HAND_WRITTEN = {
    "StartAt": "Start",
    "States": {
        "Start": {"Type": "Pass", "Next": "Gen"},
        "Gen": {"Type": "Task", "Resource": "arn:aws:lambda:eu-west-1:123456789012:function:gen",
                "Retry": [{"ErrorEquals": ["States.ALL"], "MaxAttempts": 2}],
                "Catch": [{"ErrorEquals": ["States.ALL"], "Next": "Failed"}],
                "Next": "Each"},
        "Each": {"Type": "Map", "ItemsPath": "$.items",
                 "Iterator": {"StartAt": "P", "States": {
                     "P": {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke",
                           "Parameters": {"FunctionName": "arn:aws:lambda:eu-west-1:1:function:p",
                                          "Payload.$": "$"},
                           "ResultSelector": {"payload.$": "$.Payload.payload"},
                           "OutputPath": "$.payload", "End": True}}},
                 "ResultPath": "$.items", "Next": "Pick"},
        "Pick": {"Type": "Choice", "Choices": [
            {"Variable": "$.size", "NumericGreaterThan": 3, "Next": "Gen2"}],
            "Default": "Last"},
        "Gen2": {"Type": "Task", "Resource": "arn:aws:lambda:eu-west-1:1:function:gen",
                 "End": True},
        "Last": {"Type": "Task", "Resource": "arn:aws:lambda:eu-west-1:1:function:p",
                 "Next": "Done"},
        "Done": {"Type": "Succeed"},
        "Failed": {"Type": "Fail", "Error": "X"},
    },
}


def test_hand_written_forms() -> None:
    """Pass/Succeed vanish, Fail as Catch target = unhandled, Iterator, bare Lambda ARN."""
    wf = parse_asl(json.dumps(HAND_WRITTEN), "h.json", EP.func_for)
    data = emit_sebs(wf)
    assert data["root"] == "Gen"
    assert data["states"]["Gen"] == {"type": "task", "func_name": "gen", "next": "Each",
                                     "retry": {"max_attempts": 3, "interval_s": 1.0,
                                               "backoff_rate": 2.0}}
    assert data["states"]["Each"]["states"]["P"] == {"type": "task", "func_name": "p"}
    assert data["states"]["Pick"] == {"type": "switch", "cases": [
        {"var": "size", "op": ">", "val": 3, "next": "Gen2"}], "default": "Last"}
    assert data["states"]["Last"] == {"type": "task", "func_name": "p"}
    assert set(data["states"]) == {"Gen", "Each", "Pick", "Gen2", "Last"}
