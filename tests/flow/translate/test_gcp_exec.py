"""Cloud Workflows translations executed on workflows-emulator give the local executor's result.

For every case of the harness (the nine definitions, trip booking's success, compensated and
failing paths): same final payload (or a failure likewise), same multiset of function calls
(function, input payload, success).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.flow.conftest import FUNCTIONS
from tests.flow.translate.gcp_cases import EVERYTHING, EVERYTHING_INPUTS
from tests.flow.translate.gcp_run import run_emulated, translate
from tests.flow.translate.harness import CASES, definition, run_local, served_calls, serving
from xaas_parsl.flow.serve import FunctionServer


@pytest.fixture(scope="module")
def server() -> Iterator[FunctionServer]:
    with serving() as srv:
        yield srv


@pytest.mark.parametrize(("case", "stem", "payload"), CASES, ids=[c[0] for c in CASES])
def test_emulated_run_matches_local(case: str, stem: str, payload: Any, tmp_path: Path,
                                    server: FunctionServer) -> None:
    expected = run_local(definition(stem), payload)
    yaml_file = translate(definition(stem), server, tmp_path / f"{stem}.yaml")
    got = run_emulated(yaml_file, payload, server)
    assert got.ok == expected.ok, got.error
    if expected.ok:
        assert json.loads(json.dumps(got.output)) == expected.output
    assert got.calls == expected.calls


@pytest.mark.parametrize(("case", "payload"), EVERYTHING_INPUTS,
                         ids=[c[0] for c in EVERYTHING_INPUTS])
def test_every_state_type_on_the_emulator(case: str, payload: Any, tmp_path: Path) -> None:
    """Switch (string, number, kinds that differ), repeat, failure, loop, two-state map body,
    two-state branch: SeBS's generator got each of these wrong (reference README §2.4)."""
    source = tmp_path / "everything.json"
    source.write_text(json.dumps(EVERYTHING))
    expected = run_local(source, payload, FUNCTIONS)
    with serving(FUNCTIONS) as srv:
        got = run_emulated(translate(source, srv, tmp_path / "everything.yaml"), payload, srv)
    assert got.ok == expected.ok, got.error
    assert json.loads(json.dumps(got.output)) == expected.output
    assert got.calls == expected.calls


def test_trip_success_runs_no_compensation(tmp_path: Path, server: FunctionServer) -> None:
    """SeBS never emitted ``next``: the success path fell through into the cancellations."""
    stem, payload = next((s, p) for c, s, p in CASES if c == "trip-success")
    got = run_emulated(translate(definition(stem), server, tmp_path / "t.yaml"), payload, server)
    called = {func for func, _, _ in got.calls}
    assert got.ok and called == {"reserve_hotel", "reserve_rental", "reserve_flight", "confirm"}


@pytest.mark.parametrize("fail_times", [2, 5])
def test_retry_on_the_emulator(fail_times: int, tmp_path: Path) -> None:
    """``retry`` → ``try``/``retry`` with ``max_retries = max_attempts - 1``: three attempts in
    all, like the local executor (the emulator waits its default 1 s between attempts: it reads
    ``backoff.delay``, not Cloud Workflows' ``initial_delay``)."""
    source = tmp_path / "retry.json"
    source.write_text(json.dumps({"root": "r", "states": {"r": {
        "type": "task", "func_name": "flaky",
        "retry": {"max_attempts": 3, "interval_s": 0.1, "backoff_rate": 1.0}}}}))
    local = run_local(source, {"counter": str(tmp_path / "local"), "fail_times": fail_times},
                      FUNCTIONS)
    with serving(FUNCTIONS) as srv:
        got = run_emulated(translate(source, srv, tmp_path / "retry.yaml"),
                           {"counter": str(tmp_path / "emu"), "fail_times": fail_times}, srv)
    assert got.ok == local.ok == (fail_times < 3)
    outcomes = sorted(ok for (_, _, ok), n in got.calls.items() for _ in range(n))
    assert outcomes == sorted(ok for (_, _, ok), n in local.calls.items() for _ in range(n))
    if got.ok:
        assert got.output["calls"] == local.output["calls"] == 3


@pytest.mark.parametrize("case", ["620.func-invo", "trip-success", "trip-confirm"])
def test_emulator_cli_runs_the_file_unmodified(case: str, tmp_path: Path,
                                               server: FunctionServer) -> None:
    """The emulator's own CLI (``workflows-emulator --source F run --data JSON``, a separate
    process, no corrections) on translations without parallel steps."""
    stem, payload = next((s, p) for c, s, p in CASES if c == case)
    expected = run_local(definition(stem), payload)
    yaml_file = translate(definition(stem), server, tmp_path / f"{stem}.yaml")
    cli = Path(sys.executable).with_name("workflows-emulator")
    server.take_calls()
    done = subprocess.run([str(cli), "--source", str(yaml_file), "--loglevel", "ERROR", "run",
                           "--data", json.dumps(payload)], capture_output=True, text=True,
                          timeout=120, check=False, cwd=tmp_path,
                          env={**os.environ, "GOOGLE_CLOUD_WORKFLOW_EXECUTION_ID": "cli-run"})
    assert done.returncode == 0, done.stderr[-2000:]
    assert json.loads(done.stdout) == expected.output
    assert served_calls(server.take_calls()) == expected.calls

