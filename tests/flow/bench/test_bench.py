"""Experiments: the four modes, results as CSV with SeBS-Flow's columns, no lost records."""

from __future__ import annotations

import csv
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from xaas_parsl.errors import InputError
from xaas_parsl.flow.bench import Experiment, experiment, run_experiment
from xaas_parsl.flow.benchmarks import Benchmark
from xaas_parsl.flow.worker import COLUMNS, SEBS_COLUMNS

REPO = Path(__file__).resolve().parents[3]
HALFWAY = Benchmark("halfway", "tests.flow.bench.halfway",
                    Path(__file__).resolve().parent / "halfway")


def calls(directory: Path, name: str = "calls.csv") -> list[dict[str, str]]:
    with (directory / name).open() as handle:
        reader = csv.DictReader(handle)
        assert tuple(reader.fieldnames or ()) == COLUMNS
        assert tuple(reader.fieldnames or ())[:9] == SEBS_COLUMNS
        return list(reader)


def runs(directory: Path) -> list[dict[str, Any]]:
    data: list[dict[str, Any]] = json.loads((directory / "runs.json").read_text())
    return data


def test_warm_discards_one_warm_up_and_keeps_it_apart(tmp_path: Path) -> None:
    result = run_experiment(experiment("620", tmp_path, mode="warm", reps=3, executor=None))
    assert result.verified
    assert [r.warmup for r in result.runs] == [True, False, False, False]
    rows = calls(tmp_path)
    assert len(rows) == 27 and len(calls(tmp_path, "warmup.csv")) == 9
    warm_up = result.runs[0].request_id
    assert warm_up not in {r["request_id"] for r in rows}
    assert {r["request_id"] for r in rows} == {r.request_id for r in result.runs[1:]}


def test_sequential_runs_one_after_another(tmp_path: Path) -> None:
    result = run_experiment(experiment("660", tmp_path, mode="sequential", reps=2,
                                       executor=None))
    assert result.verified and not (tmp_path / "warmup.csv").exists()
    first, second = result.runs
    assert first.end <= second.start
    assert len(calls(tmp_path)) == 2 * 10  # split, 3 map, shuffle, 5 reduce


def test_burst_launches_all_repetitions_at_once(tmp_path: Path) -> None:
    result = run_experiment(experiment("630", tmp_path, mode="burst", reps=3, executor=None))
    assert result.verified
    starts, ends = [r.start for r in result.runs], [r.end for r in result.runs]
    assert max(starts) < min(ends)  # every run started before any ended
    sleeps = [r for r in calls(tmp_path) if r["func"] == "process"]
    assert len(sleeps) == 6
    assert max(float(r["start"]) for r in sleeps) < min(float(r["end"]) for r in sleeps)


def test_cold_gives_fresh_workers_per_repetition(tmp_path: Path) -> None:
    result = run_experiment(experiment("620", tmp_path, mode="cold", reps=2, concurrency=1))
    assert result.verified
    rows = calls(tmp_path)
    per_run: dict[str, list[dict[str, str]]] = {}
    for row in rows:
        per_run.setdefault(row["request_id"], []).append(row)
    containers = [{r["container_id"] for r in group} for group in per_run.values()]
    assert len(containers) == 2 and all(len(c) == 1 for c in containers)
    assert containers[0] != containers[1]  # new worker process
    for group in per_run.values():  # first call of each function in the fresh worker: cold
        group.sort(key=lambda r: float(r["start"]))
        assert [r["is_cold"] for r in group] == ["True", "True"] + ["False"] * 7


def test_a_failing_run_keeps_the_records_of_finished_calls(tmp_path: Path) -> None:
    result = run_experiment(Experiment(HALFWAY, tmp_path, mode="sequential", reps=2,
                                       executor=None))
    assert result.verified  # the check expects the failure in "steps"
    assert [r["failed_state"] for r in runs(tmp_path)] == [["steps"], ["steps"]]
    for rid in {r.request_id for r in result.runs}:
        mine = [r for r in calls(tmp_path) if r["request_id"] == rid]
        assert [(r["func"], r["ok"]) for r in mine] == \
            [("start", "True"), ("step", "True"), ("step", "True"), ("step", "False")]
        assert "step 3 fails" in mine[-1]["error"]


def test_a_process_dying_halfway_loses_no_finished_record(tmp_path: Path) -> None:
    """The third step ends the whole process (``os._exit``, no cleanup): every call that
    finished before is already in calls.csv, because each row is flushed when its call ends."""
    script = ("from pathlib import Path; import sys\n"
              "from tests.flow.bench.test_bench import HALFWAY\n"
              "from xaas_parsl.flow.bench import Experiment, run_experiment\n"
              "run_experiment(Experiment(HALFWAY, Path(sys.argv[1]), mode='sequential', "
              "reps=1, executor=None))\n")
    proc = subprocess.run([sys.executable, "-c", script, str(tmp_path)], cwd=REPO,
                          env={**os.environ, "HALFWAY_HOW": "exit"}, capture_output=True,
                          text=True, check=False, timeout=120)
    assert proc.returncode == 17, proc.stderr
    rows = calls(tmp_path)
    assert [(r["func"], r["ok"]) for r in rows] == \
        [("start", "True"), ("step", "True"), ("step", "True")]
    assert not (tmp_path / "runs.json").exists()  # the run itself never ended


def test_bad_experiments_are_refused() -> None:
    with pytest.raises(InputError, match="mode cold needs worker processes"):
        experiment("620", "x", mode="cold", executor="login")
    with pytest.raises(InputError, match="unknown benchmark"):
        experiment("999", "x")
    with pytest.raises(InputError, match="reps"):
        experiment("620", "x", reps=0)


def xaas(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "xaas_parsl.cli.main", "flow", *args],
                          cwd=REPO, capture_output=True, text=True, check=False, timeout=300)


@pytest.mark.parametrize(("size", "outcome"), [("large", "compensated"), ("small", "failed")])
def test_bench_command_verifies_trip_booking(tmp_path: Path, size: str, outcome: str) -> None:
    proc = xaas("bench", "6200.trip-booking", "--size", size, "--mode", "sequential",
                "--reps", "2", "--executor", "none", "-o", str(tmp_path))
    assert proc.returncode == 0, proc.stderr
    done = runs(tmp_path)
    assert all(not r["problems"] for r in done)
    if outcome == "failed":
        assert [r["failed_state"] for r in done] == [["hotel"], ["hotel"]]
    else:
        funcs = [r["func"] for r in calls(tmp_path)]
        assert funcs.count("cancel_hotel") == 2 and funcs.count("confirm") == 2
    assert (tmp_path / "metrics.json").is_file() and (tmp_path / "timeline.png").is_file()
    assert "per 1000 runs" in proc.stderr


def test_bench_command_errors_are_one_line(tmp_path: Path) -> None:
    for args in (["bench", "nope", "-o", str(tmp_path)],
                 ["bench", "620", "--mode", "cold", "--executor", "login", "-o", str(tmp_path)]):
        proc = xaas(*args)
        assert proc.returncode == 1
        assert proc.stderr.startswith("xaas: error:") and proc.stderr.count("\n") == 1
        assert "Traceback" not in proc.stderr
