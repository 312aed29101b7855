"""``xaas flow`` as a real subprocess: stdout/stderr, exit codes, CSV measurements."""

from __future__ import annotations

import csv
import json
import logging
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.flow.conftest import DATA, FUNCTIONS, NINE, TRIP, trip_input
from xaas_parsl.cli.main import main
from xaas_parsl.flow import flow_schema

XAAS = [sys.executable, "-m", "xaas_parsl.cli.main"]
SEBS_COLUMNS = ["func", "start", "end", "is_cold", "container_id", "provider.request_id",
                "blob.upload", "blob.download", "request_id"]


@pytest.fixture(autouse=True)
def _restore_root_logging() -> Iterator[None]:
    """``main()`` in-process configures logging to the (captured) stderr of that moment; later
    log records must not go to the closed capture stream."""
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    yield
    root.handlers[:] = handlers
    root.setLevel(level)


def xaas(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*XAAS, *args], capture_output=True, text=True, cwd=cwd, check=False,
                          timeout=120)


def rows(path: Path) -> list[dict[str, str]]:
    with path.open() as handle:
        return list(csv.DictReader(handle))


def test_schema_and_validate(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["flow", "schema"]) == 0
    assert json.loads(capsys.readouterr().out) == flow_schema()
    assert main(["flow", "validate", *(str(DATA / f"{n}.json") for n in NINE)]) == 0
    assert capsys.readouterr().out.count(": ok (") == 9
    bad = tmp_path / "bad.json"
    bad.write_text(TRIP.read_text().replace('"next": "flight"', '"next": "flite"'))
    assert main(["flow", "validate", str(bad)]) == 1
    assert capsys.readouterr().err.strip() == (
        f"xaas: error: {bad}: state 'rental': next target 'flite' is not a state of this scope "
        "(at /states/rental/next)")


def test_run_with_handled_failure_exits_zero_and_exports_csv(tmp_path: Path) -> None:
    (tmp_path / "in.json").write_text(json.dumps(trip_input("failure", "confirm")))
    proc = xaas("flow", "run", str(TRIP), "--input", "in.json", "--functions", str(FUNCTIONS),
                "--executor", "login", "--measurements", "m.csv", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["status"] == "failure"
    assert "handled failure: confirm -> cancel_flight" in proc.stderr
    with (tmp_path / "m.csv").open() as handle:
        header = next(csv.reader(handle))
    assert header[:9] == SEBS_COLUMNS and header[9] == "state"
    records = rows(tmp_path / "m.csv")
    assert len(records) == 7 and len({r["request_id"] for r in records}) == 1
    assert (tmp_path / ".xaas-flow" / "measurements.sqlite").is_file()


def test_unhandled_failure_exits_non_zero_naming_state_and_request_id(tmp_path: Path) -> None:
    (tmp_path / "in.json").write_text(json.dumps(trip_input("failure", "hotel")))
    proc = xaas("flow", "run", str(TRIP), "--input", "in.json", "--functions", str(FUNCTIONS),
                "--executor", "login", "--request-id", "trip-7", "--measurements", "m.csv",
                "-q", cwd=tmp_path)
    assert proc.returncode == 1
    assert proc.stdout == ""
    assert proc.stderr.strip().splitlines()[-1] == (
        f"xaas: error: {TRIP}: run trip-7 failed in state hotel (function reserve_hotel): "
        "RuntimeError: hotel reservation failed (injected)")
    assert [(r["func"], r["ok"]) for r in rows(tmp_path / "m.csv")] == [
        ("reserve_hotel", "False")]


def test_run_without_parsl_to_an_output_file_and_export(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "in.yaml").write_text("size: 10\n")
    work = str(tmp_path / "w")
    out = tmp_path / "out.json"
    assert main(["flow", "run", str(DATA / "620.func-invo.json"), "--input",
                 str(tmp_path / "in.yaml"), "--functions", str(FUNCTIONS), "--executor", "none",
                 "-o", str(out), "--request-id", "chain", "--workdir", work]) == 0
    assert len(json.loads(out.read_text())["len"]) == 10
    assert "median transition" in capsys.readouterr().err
    assert main(["flow", "measurements", "--request-id", "chain", "--workdir", work]) == 0
    assert capsys.readouterr().out.count("\n") == 10  # header + 9 calls


FIGURES = re.compile(r"runtime ([\d.]+) ms, critical path ([\d.]+) ms,.*?overhead ([\d.]+) ms",
                     re.S)


def test_flow_run_and_flow_metrics_print_the_same_figures(tmp_path: Path) -> None:
    """A task that fails once and is retried, then a repeat of two chained calls: both commands
    count the retry's attempts and each repeat call as stages of the critical path."""
    definition = tmp_path / "result" / "definition.json"
    definition.parent.mkdir()
    definition.write_text(json.dumps({"root": "t", "states": {
        "t": {"type": "task", "func_name": "flaky", "next": "r",
              "retry": {"max_attempts": 2, "interval_s": 0.01}},
        "r": {"type": "repeat", "func_name": "nap", "count": 2}}}))
    functions = tmp_path / "functions"
    functions.mkdir()
    (functions / "nap.py").write_text(
        "import time\n\n\ndef handler(payload):\n    time.sleep(0.05)\n    return payload\n")
    (tmp_path / "in.json").write_text(json.dumps({"counter": str(tmp_path / "n"),
                                                  "fail_times": 1}))
    calls = definition.parent / "calls.csv"
    ran = xaas("flow", "run", str(definition), "--input", "in.json", "--functions",
               str(FUNCTIONS), "--functions", str(functions), "--executor", "none",
               "--measurements", str(calls), cwd=tmp_path)
    assert ran.returncode == 0, ran.stderr
    records = rows(calls)
    assert [(r["state"], r["attempt"], r["ok"]) for r in records] == [
        ("t", "1", "False"), ("t", "2", "True"), ("r", "1", "True"), ("r", "1", "True")]
    metrics = xaas("flow", "metrics", str(definition.parent), cwd=tmp_path)
    assert metrics.returncode == 0, metrics.stderr
    run_figures, metrics_figures = FIGURES.search(ran.stderr), FIGURES.search(metrics.stderr)
    assert run_figures and metrics_figures, (ran.stderr, metrics.stderr)
    assert run_figures.groups() == metrics_figures.groups()
    # every call lies on the path here: the critical path is the sum of all four durations
    total = sum(float(r["end"]) - float(r["start"]) for r in records)
    assert float(run_figures.group(2)) == pytest.approx(total * 1e3, abs=0.06)
    stages = json.loads((definition.parent / "metrics.json").read_text())["runs"][0]["stages"]
    assert [(s["stage"], s["calls"]) for s in stages] == [("t", 2), ("r[1]", 1), ("r[2]", 1)]
