"""Outputs that cannot be written (``-o``, ``--dest``, ``--report``, ``--output``): one
``xaas: error:`` line, exit 1, before any work; an existing output file is never clobbered by
a failing run, and no temporary file is left beside it."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import HEAT2D, REPO, SYSTEMS
from tests.hostile.conftest import assert_one_error, run_cli

SPEC = HEAT2D / "specialization-points.json"
APP = HEAT2D / "app.yaml"
SYSTEM = SYSTEMS / "ault23.json"
FLOW = REPO / "tests" / "flow" / "data" / "620.func-invo.json"
FUNCS = REPO / "tests" / "flow" / "functions"

# name: (argv with "{o}" for the output, whether the output is a directory)
WRITERS: dict[str, tuple[list[str], bool]] = {
    "system convert -o": (["system", "convert", str(SYSTEM), "-o", "{o}"], False),
    "system discover -o": (["system", "discover", "-o", "{o}"], False),
    "intersect -o": (["intersect", "--spec", str(SPEC), "--system", str(SYSTEM), "-o", "{o}"],
                     False),
    "spec points -o": (["spec", "points", str(APP), "-o", "{o}"], False),
    "flow translate -o": (["flow", "translate", str(FLOW), "--to", "asl", "-o", "{o}"], False),
    "flow translate --to durable -o": (["flow", "translate", str(FLOW), "--to", "durable",
                                        "-o", "{o}"], True),
    "flow run -o": (["flow", "run", str(FLOW), "--input", "{tmp}/in.json", "--executor", "none",
                     "--functions", str(FUNCS), "--workdir", "{tmp}/wd", "-q", "-o", "{o}"],
                    False),
    "flow measurements -o": (["flow", "measurements", "--workdir", "{tmp}/wd", "-o", "{o}"],
                             False),
    "flow bench -o": (["flow", "bench", "620", "--executor", "none", "--reps", "1",
                       "-o", "{o}"], True),
    "burst flare --output": (["burst", "flare", "xaas_parsl.burst.apps.sort:terasort",
                              "--size", "1", "--output", "{o}"], False),
    "ir build -o": (["ir", "build", str(APP), "-o", "{o}"], True),
    "profiles install --dest": (["profiles", "install", "--site", "local", "--dest", "{o}"],
                                True),
    "showcase report -o": (["showcase", "report", "--settings", "{}", "--steps-dir", "{tmp}",
                            "-o", "{o}"], True),
    "demo --report": (["demo", "--report", "{o}"], False),
}

TARGETS = ("existing-directory", "under-a-file", "proc", "proc-file", "sys")


def _target(kind: str, tmp: Path, directory: bool) -> Path:
    if kind == "existing-directory":
        if directory:  # an output directory given as an existing *file*
            (tmp / "taken").write_text("keep me\n")
            return tmp / "taken"
        (tmp / "taken").mkdir()
        return tmp / "taken"
    if kind == "under-a-file":
        (tmp / "plain").write_text("keep me\n")
        return tmp / "plain" / "out"
    if kind == "proc":
        return Path("/proc/xaas-no-such/out")
    if kind == "proc-file":
        return Path("/proc/version")
    return Path("/sys/xaas-out")


@pytest.mark.usefixtures("reference")
@pytest.mark.parametrize("kind", TARGETS)
@pytest.mark.parametrize("writer", WRITERS)
def test_unwritable_output_is_one_error_line(writer: str, kind: str, tmp_path: Path,
                                             capsys: pytest.CaptureFixture[str]) -> None:
    template, directory = WRITERS[writer]
    target = _target(kind, tmp_path, directory)
    (tmp_path / "in.json").write_text('{"size": 10}')
    argv = [a.replace("{o}", str(target)).replace("{tmp}", str(tmp_path)) for a in template]
    line = assert_one_error(run_cli(capsys, argv))
    assert "cannot write" in line, line
    (tmp_path / "in.json").unlink()
    for keep in (tmp_path / "taken", tmp_path / "plain"):
        if keep.is_file():
            assert keep.read_text() == "keep me\n"
    assert not list(tmp_path.rglob(".*.tmp"))


@pytest.mark.usefixtures("reference")
@pytest.mark.parametrize("writer", ["system convert -o", "intersect -o", "flow translate -o"])
def test_failing_run_never_clobbers_an_existing_output(writer: str, tmp_path: Path,
                                                       capsys: pytest.CaptureFixture[str]) -> None:
    template, _ = WRITERS[writer]
    bad = tmp_path / "bad.json"
    bad.write_text('{"truncated": ')
    out = tmp_path / "out.json"
    out.write_text("previous result\n")
    argv = [bad if a in {str(SYSTEM), str(SPEC), str(FLOW)} else a.replace("{o}", str(out))
            for a in template]
    assert_one_error(run_cli(capsys, argv))
    assert out.read_text() == "previous result\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bad.json", "out.json"]
