"""Hostile option values and stores: each one ``xaas: error:`` line, exit 1, no traceback, no
hang, and nothing created as a side effect."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from tests.conftest import HEAT2D, REPO, infra_missing
from tests.hostile.conftest import assert_one_error, run_cli
from tests.services import free_port

APP = HEAT2D / "app.yaml"
FLOW = REPO / "tests" / "flow" / "data" / "620.func-invo.json"
FUNCS = REPO / "tests" / "flow" / "functions"
FLARE = "xaas_parsl.burst.apps.sort:terasort"
RUN_FLOW = ["flow", "run", str(FLOW), "--executor", "none", "--functions", str(FUNCS), "-q",
            "--workdir", "{tmp}/wd", "--input", "{tmp}/in.json"]

VALUES: dict[str, list[str]] = {
    "flow run --timeout nan": [*RUN_FLOW, "--timeout", "nan"],
    "flow run --timeout inf": [*RUN_FLOW, "--timeout", "inf"],
    "flow bench --timeout nan": ["flow", "bench", "620", "--timeout", "nan", "-o", "{tmp}/b"],
    "burst run --timeout nan": ["burst", "run", "--app", "sort", "--size", "2", "--timeout",
                                "nan"],
    "burst run --timeout -1": ["burst", "run", "--app", "sort", "--size", "2", "--timeout",
                               "-1"],
    "burst flare --timeout nan": ["burst", "flare", FLARE, "--size", "2", "--output",
                                  "{tmp}/o.json", "--timeout", "nan"],
    "run --timeout -5": ["run", "img", "true", "--timeout", "-5"],
    "run --timeout nan": ["run", "img", "true", "--timeout", "nan"],
    "flow serve --port 70000": ["flow", "serve", "--functions", str(FUNCS), "--port", "70000"],
    "flow serve --port -1": ["flow", "serve", "--functions", str(FUNCS), "--port", "-1"],
    "flow run --store unreachable redis": [*RUN_FLOW, "--store", "redis://127.0.0.1:{port}/0"],
    "flow measurements --store unreachable redis": [
        "flow", "measurements", "--store", "redis://127.0.0.1:{port}/0"],
    "flow measurements --store missing": ["flow", "measurements", "--store",
                                          "{tmp}/missing.sqlite"],
    "flow measurements --store corrupt": ["flow", "measurements", "--store",
                                          "{tmp}/corrupt.sqlite"],
    "flow run --store corrupt": [*RUN_FLOW, "--store", "{tmp}/corrupt.sqlite"],
    "flow measurements --store foreign": ["flow", "measurements", "--store",
                                          "{tmp}/foreign.sqlite"],
}


@pytest.mark.parametrize("case", VALUES)
def test_hostile_value_is_one_error_line(case: str, tmp_path: Path,
                                         capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "in.json").write_text('{"size": 10}')
    (tmp_path / "corrupt.sqlite").write_bytes(b"SQLite format 3\x00" + b"\xff" * 4000)
    with sqlite3.connect(tmp_path / "foreign.sqlite") as db:
        db.execute("CREATE TABLE calls (x)")
    db.close()
    port = str(free_port())
    argv = [a.replace("{tmp}", str(tmp_path)).replace("{port}", port) for a in VALUES[case]]
    before = sorted(p.name for p in tmp_path.iterdir())
    assert_one_error(run_cli(capsys, argv, seconds=30))
    after = sorted(p.name for p in tmp_path.iterdir() if p.name != "wd")  # flow run's workdir
    assert after == before  # no database, journal or output created


def test_app_matrix_over_budget_is_refused_before_expanding(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    app = tmp_path / "app.yaml"
    text = APP.read_text().replace("source: .", f"source: {HEAT2D}").replace(
        "specialization_points: ", f"specialization_points: {HEAT2D}/").replace(
        "matrix:", "matrix:\n" + "".join(
            f"  - {{name: F{i}, kind: bool, option: F{i}}}\n" for i in range(24)), 1)
    app.write_text(text)
    line = assert_one_error(run_cli(capsys, ["app", "configs", str(app)]))
    assert "exceeds the budget of 4096" in line


def test_cmake_foreach_range_of_1e8_is_cut_not_materialised(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "CMakeLists.txt").write_text(
        "cmake_minimum_required(VERSION 3.20)\nproject(p LANGUAGES C)\n"
        "foreach(i RANGE 100000000)\n  set(X ${i})\nendforeach()\n"
        'option(USE_FOO "foo" OFF)\n')
    result = run_cli(capsys, ["spec", "discover", str(tmp_path)], seconds=60)
    assert result.code == 0, result.err
    assert "foreach() cut after 2000 iterations" in result.err


DOCKER_REFS: dict[str, list[str]] = {
    "run empty image": ["run", "", "true"],
    "run upper-case image": ["run", "UPPER::bad", "true"],
    "container source build --tag": ["container", "source", "build", str(APP), "--tag",
                                     "BAD::TAG"],
    "container ir build --tag": ["container", "ir", "build", str(APP), "--tag", "../x"],
    "container source deploy empty": ["container", "source", "deploy", ""],
}


@pytest.mark.parametrize("case", DOCKER_REFS)
def test_bad_image_reference_is_one_error_line(case: str,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    from xaas_parsl.containers.engine import probe

    problem = probe()
    if problem is not None:
        infra_missing(f"no Docker engine answers ({problem}; ./scripts/start-dockerd.sh)")
    line = assert_one_error(run_cli(capsys, DOCKER_REFS[case], seconds=60))
    assert "not a valid image reference" in line and "http" not in line, line
