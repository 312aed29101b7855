"""Cloud Workflows translations executed on workflows-emulator give the local executor's result.

For every case of the harness (the nine definitions, trip booking's success, compensated and
failing paths): same final payload (or a failure likewise), same multiset of function calls
(function, input payload, success).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.flow.translate.gcp_run import run_emulated, translate
from tests.flow.translate.harness import CASES, definition, run_local, serving
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
