"""Metrics recomputed from a hand-written ``calls.csv`` equal a hand computation; plots render.

The fixture (``data/``): two runs of task ``a`` → map ``m`` (2 items) → parallel ``p``
{``c1`` → ``c2`` ‖ ``d``} → repeat ``r`` x 2, 512 MB. Run R1, seconds from 100.0:

    a 0.0–0.5 | b 0.6–1.6, b 0.65–1.25 | c1 1.7–2.1, d 1.75–2.45, c2 2.2–2.6 | r 2.7–2.9, r 3.0–3.25
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from xaas_parsl.errors import InputError
from xaas_parsl.flow.load import load_workflow
from xaas_parsl.flow.metrics import analyse, call_graph, experiment_metrics, read_calls

DATA = Path(__file__).resolve().parent / "data"
REPO = Path(__file__).resolve().parents[3]

# runtime: last end − first start
RUNTIME = 103.25 - 100.0  # 3.25
# stages: a (task) 0.5; m (map) longest call 1.0; p (parallel) longest call 0.7 (d);
# r (repeat) two stages 0.2 and 0.25
CRITICAL = 0.5 + 1.0 + 0.7 + 0.2 + 0.25  # 2.65
# executed DAG: a → b(1.0) → c1 → c2 → r → r beats the path through d (0.7 < 0.4 + 0.4)
LONGEST = 0.5 + 1.0 + 0.4 + 0.4 + 0.2 + 0.25  # 2.75
# transitions (start − latest end before it): b 0.1, b 0.15, c1 0.1, d 0.15, c2 0.1, r 0.1, r 0.1
TRANSITIONS = [0.1, 0.15, 0.1, 0.15, 0.1, 0.1, 0.1]
# AWS: 8 call attempts + map m + parallel p = 10 transitions.
# GCP: 2 x 8 (call + assign) + m + p + 2 map items (child workflow returns) + 1 return = 21.
AWS_TRANSITIONS, GCP_STEPS = 10, 21
# billed compute, 0.5 GB: AWS per 1 ms: Σ durations = 4.05 s; GCP per 100 ms: 0.25 → 0.3, 4.1 s
AWS_RUN = 4.05 * 0.5 * 0.0000166667 + 8 * 0.20 / 1e6 + 10 * 0.000025
GCP_RUN = 4.1 * 0.5 * 0.0000025 + 8 * 0.40 / 1e6 + 21 * 0.00001


@pytest.fixture
def result() -> dict:
    workflow = load_workflow(DATA / "definition.json")
    return experiment_metrics(workflow, read_calls(DATA / "calls.csv"), 512)


def test_per_run_figures_match_the_hand_computation(result: dict) -> None:
    first, second = result["runs"]
    assert first["request_id"] == "R1" and second["request_id"] == "R2"
    for run in (first, second):
        assert run["calls"] == 8
        assert run["runtime_s"] == pytest.approx(RUNTIME)
        assert run["critical_path_s"] == pytest.approx(CRITICAL)
        assert run["overhead_s"] == pytest.approx(RUNTIME - CRITICAL)
        assert run["longest_path"]["length_s"] == pytest.approx(LONGEST)
        assert run["longest_path"]["states"] == ["a", "m/b", "p/c1", "p/c2", "r", "r"]
        assert run["transition_median_s"] == pytest.approx(0.1)
        assert run["transition_mean_s"] == pytest.approx(sum(TRANSITIONS) / 7)
        assert run["containers"] == 2
        assert (run["aws_transitions"], run["gcp_steps"]) == (AWS_TRANSITIONS, GCP_STEPS)
        assert run["cost_usd"]["aws"] == pytest.approx(AWS_RUN, rel=1e-9)
        assert run["cost_usd"]["gcp"] == pytest.approx(GCP_RUN, rel=1e-9)
    assert first["cold_share"] == pytest.approx(6 / 8)
    assert second["cold_share"] == 0
    stages = {s["stage"]: s for s in first["stages"]}
    assert list(stages) == ["a", "m", "p", "r[1]", "r[2]"]
    assert stages["m"]["time_s"] == pytest.approx(1.0)
    assert stages["m"]["transition_s"] == pytest.approx(0.1)
    assert stages["p"]["time_s"] == pytest.approx(0.7)
    assert stages["p"]["span_s"] == pytest.approx(2.6 - 1.7)
    assert stages["p"]["internal_overhead_s"] == pytest.approx(0.9 - 0.7)


def test_summary_over_runs(result: dict) -> None:
    summary = result["summary"]
    assert summary["runs"] == 2 and summary["calls"] == 16
    assert summary["runtime_s"]["median"] == pytest.approx(RUNTIME)
    assert summary["cold_share_all"] == pytest.approx(6 / 16)
    assert summary["cold_share"]["mean"] == pytest.approx(6 / 16)
    assert summary["containers"] == 4  # w1..w4
    assert summary["cost_per_1000_runs_usd"]["aws"] == pytest.approx(1000 * AWS_RUN)
    assert summary["cost_per_1000_runs_usd"]["gcp"] == pytest.approx(1000 * GCP_RUN)


def test_call_graph_follows_the_definition() -> None:
    graph = call_graph(load_workflow(DATA / "definition.json")).graph
    assert sorted(graph.edges) == sorted([("a", "m/b"), ("m/b", "p/c1"), ("m/b", "p/d"),
                                          ("p/c1", "p/c2"), ("p/c2", "r"), ("p/d", "r"),
                                          ("r", "r")])


def test_metrics_command_writes_json_and_plots(tmp_path: Path) -> None:
    work = tmp_path / "result"
    shutil.copytree(DATA, work)
    proc = subprocess.run([sys.executable, "-m", "xaas_parsl.cli.main", "flow", "metrics",
                           str(work)], capture_output=True, text=True, check=False, cwd=REPO)
    assert proc.returncode == 0, proc.stderr
    assert "2 runs, 16 calls" in proc.stderr
    written = json.loads((work / "metrics.json").read_text())
    assert written["summary"]["critical_path_s"]["median"] == pytest.approx(CRITICAL)
    for name in ("timeline.png", "overhead.png"):
        data = (work / name).read_bytes()
        assert data.startswith(b"\x89PNG") and len(data) > 10_000


def test_bad_input_is_one_line(tmp_path: Path) -> None:
    (tmp_path / "definition.json").write_text((DATA / "definition.json").read_text())
    (tmp_path / "calls.csv").write_text("func,start,end\nfa,x,1\n")
    with pytest.raises(InputError, match="line 2: bad measurement record"):
        analyse(tmp_path)
    proc = subprocess.run([sys.executable, "-m", "xaas_parsl.cli.main", "flow", "metrics",
                           str(tmp_path / "missing")], capture_output=True, text=True,
                          check=False, cwd=REPO)
    assert proc.returncode == 1
    assert proc.stderr.strip().count("\n") == 0 and "not a result directory" in proc.stderr
    assert not (tmp_path / "metrics.json").exists()


def test_switch_loop_and_retries_in_the_counting_rules() -> None:
    """switch s → loop l over 3 elements → task t failing once then retried (hand counts)."""
    from xaas_parsl.flow.load import workflow_from_data

    workflow = workflow_from_data({"root": "s", "states": {
        "s": {"type": "switch", "cases": [{"var": "x", "op": "==", "val": 1, "next": "l"}],
              "default": "t"},
        "l": {"type": "loop", "func_name": "f", "array": "xs", "next": "t"},
        "t": {"type": "task", "func_name": "g", "retry": {"max_attempts": 2}}}}, "<test>")

    def rec(state: str, start: float, end: float, attempt: int = 1, ok: bool = True) -> dict:
        return {"func": state, "state": state, "start": start, "end": end, "attempt": attempt,
                "ok": ok, "is_cold": False, "container_id": "w", "request_id": "R"}

    records = [rec("l", 0.0, 0.1), rec("l", 0.2, 0.3), rec("l", 0.4, 0.5),
               rec("t", 0.6, 0.7, 1, False), rec("t", 1.7, 1.9, 2)]
    run = experiment_metrics(workflow, records, 1024)["runs"][0]
    # AWS: 5 attempts + loop (a Map) + switch (a Choice) = 7; GCP: 2 x 5 + 2 + 1 return = 13
    assert (run["aws_transitions"], run["gcp_steps"]) == (7, 13)
    # stages: l[1], l[2], l[3] (0.1 each), t (its attempts add up: 0.1 + 0.2)
    assert [s["stage"] for s in run["stages"]] == ["l[1]", "l[2]", "l[3]", "t"]
    assert run["critical_path_s"] == pytest.approx(0.6)
    assert run["failed_calls"] == 1 and run["runtime_s"] == pytest.approx(1.9)
    # the loop chains its calls; the retry is not chained to the failed attempt
    assert run["longest_path"]["states"] == ["l", "l", "l", "t"]
    assert run["longest_path"]["length_s"] == pytest.approx(0.5)
