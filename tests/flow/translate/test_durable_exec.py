"""Generated Durable Functions apps, replayed from history by the SDK, match the local executor.

For every case of the harness: same final payload (or a failure likewise) and the same multiset
of function calls; every replay re-schedules exactly the recorded actions (replay-safe).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.flow.conftest import FUNCTIONS
from tests.flow.translate.durable_run import run_durable
from tests.flow.translate.gcp_cases import EVERYTHING, EVERYTHING_INPUTS
from tests.flow.translate.harness import CASES, definition, run_local, serving
from xaas_parsl.flow.load import load_workflow
from xaas_parsl.flow.serve import FunctionServer
from xaas_parsl.flow.translate.durable import emit_durable


@pytest.fixture(scope="module")
def server() -> Iterator[FunctionServer]:
    with serving() as srv:
        yield srv


@pytest.mark.parametrize(("case", "stem", "payload"), CASES, ids=[c[0] for c in CASES])
def test_replayed_orchestration_matches_local(case: str, stem: str, payload: Any,
                                              tmp_path: Path, server: FunctionServer) -> None:
    expected = run_local(definition(stem), payload)
    emit_durable(load_workflow(definition(stem)), lambda f: f, tmp_path / "app",
                 url_for=lambda f: f"{server.url}/{f}")
    got, host = run_durable(tmp_path / "app", payload, server)
    assert got.ok == expected.ok, got.error
    if expected.ok:
        assert json.loads(json.dumps(got.output)) == expected.output
    else:
        assert "reserve_hotel" in (got.error or "")
    assert got.calls == expected.calls
    assert host.replays >= 2


@pytest.mark.parametrize(("case", "payload"), EVERYTHING_INPUTS,
                         ids=[c[0] for c in EVERYTHING_INPUTS])
def test_every_state_type_replayed(case: str, payload: Any, tmp_path: Path) -> None:
    """Switch, repeat, failure, loop, two-state map body (sub-orchestration per item),
    two-state branch, map-rooted branch."""
    source = tmp_path / "everything.json"
    source.write_text(json.dumps(EVERYTHING))
    expected = run_local(source, payload, FUNCTIONS)
    with serving(FUNCTIONS) as srv:
        emit_durable(load_workflow(source), lambda f: f, tmp_path / "app",
                     url_for=lambda f: f"{srv.url}/{f}")
        got, _ = run_durable(tmp_path / "app", payload, srv)
    assert got.ok == expected.ok, got.error
    assert json.loads(json.dumps(got.output)) == expected.output
    assert got.calls == expected.calls
