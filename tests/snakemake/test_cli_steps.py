"""The one-step commands the rules call: files in, one JSON file out, one-line errors."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.conftest import HEAT2D
from xaas_parsl import steps
from xaas_parsl.cli.main import main

APP = str(HEAT2D / "app.yaml")


def test_spec_points_writes_the_descriptors_points(tmp_path: Path) -> None:
    out = tmp_path / "spec.json"
    assert main(["spec", "points", APP, "-o", str(out)]) == 0
    assert json.loads(out.read_text()) == steps.load_spec_points(APP)


def test_deploy_refuses_a_file_that_is_not_an_intersection(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "i.json"
    bad.write_text('{"usable": {}}')
    out = tmp_path / "d.json"
    assert main(["deploy", "source", APP, "--intersection", str(bad), "--workdir",
                 str(tmp_path), "-o", str(out)]) == 1
    err = capsys.readouterr().err.strip()
    assert err == f"xaas: error: {bad}: not an intersection result (needs choice)"
    assert not out.exists()


def test_failing_tests_exit_1_and_write_nothing(tmp_path: Path,
                                                capsys: pytest.CaptureFixture[str]) -> None:
    record = tmp_path / "deployment.json"
    record.write_text(json.dumps({"prefix": str(tmp_path / "empty"), "configuration": "x"}))
    out = tmp_path / "tests.json"
    assert main(["run-tests", APP, "--deployment", str(record), "-o", str(out)]) == 1
    assert "xaas: error: heat2d tests failed: numerics (exit 127)" in capsys.readouterr().err
    assert not out.exists()
