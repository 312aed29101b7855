"""Every command that reads a file, given every hostile content (tests/hostile/inputs.py) and
a missing path and a directory: one ``xaas: error:`` line, exit 1, no traceback, no hang."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import HEAT2D, REPO, SYSTEMS
from tests.hostile.conftest import assert_one_error, run_cli
from tests.hostile.inputs import CONTENTS

SPEC = HEAT2D / "specialization-points.json"
APP = HEAT2D / "app.yaml"
SYSTEM = SYSTEMS / "ault23.json"
FLOW = REPO / "tests" / "flow" / "data" / "620.func-invo.json"
FUNCS = REPO / "tests" / "flow" / "functions"

# name: (argv with "{f}" for the hostile file, the file's suffix)
COMMANDS: dict[str, tuple[list[str], str]] = {
    "system convert": (["system", "convert", "{f}"], ".json"),
    "intersect --spec": (["intersect", "--spec", "{f}", "--system", str(SYSTEM)], ".json"),
    "intersect --system": (["intersect", "--spec", str(SPEC), "--system", "{f}"], ".json"),
    "intersect --policy": (["intersect", "--spec", str(SPEC), "--system", str(SYSTEM),
                            "--policy", "{f}"], ".yaml"),
    "spec validate": (["spec", "validate", "{f}"], ".json"),
    "spec points": (["spec", "points", "{f}"], ".yaml"),
    "app configs": (["app", "configs", "{f}"], ".yaml"),
    "run-tests --deployment": (["run-tests", str(APP), "--deployment", "{f}"], ".json"),
    "flow validate (json)": (["flow", "validate", "{f}"], ".json"),
    "flow validate (yaml)": (["flow", "validate", "{f}"], ".yaml"),
    "flow run": (["flow", "run", "{f}", "--executor", "none", "--functions", str(FUNCS),
                  "--workdir", "{tmp}/wd", "-q"], ".json"),
    "flow run --input": (["flow", "run", str(FLOW), "--input", "{f}", "--executor", "none",
                          "--functions", str(FUNCS), "--workdir", "{tmp}/wd", "-q"], ".yaml"),
    "flow translate": (["flow", "translate", "{f}", "--to", "asl"], ".json"),
    "flow translate --from asl": (["flow", "translate", "{f}", "--from", "asl", "--to", "sebs"],
                                  ".json"),
    "flow translate --from gcp": (["flow", "translate", "{f}", "--from", "gcp", "--to", "sebs"],
                                  ".yaml"),
    "flow translate --to asl (yaml)": (["flow", "translate", "{f}", "--from", "sebs", "--to",
                                        "asl"], ".yaml"),
    "flow translate --mapping": (["flow", "translate", str(FLOW), "--to", "asl", "--mapping",
                                  "{f}"], ".yaml"),
}

SPECIAL = ("missing", "directory")


def _argv(template: list[str], target: Path, tmp: Path) -> list[str]:
    return [a.replace("{f}", str(target)).replace("{tmp}", str(tmp)) for a in template]


@pytest.mark.usefixtures("reference")
@pytest.mark.parametrize("content", [*CONTENTS, *SPECIAL])
@pytest.mark.parametrize("command", COMMANDS)
def test_hostile_file_is_one_error_line(command: str, content: str, tmp_path: Path,
                                        capsys: pytest.CaptureFixture[str]) -> None:
    template, suffix = COMMANDS[command]
    target = tmp_path / f"input{suffix}"
    if content == "directory":
        target.mkdir()
    elif content != "missing":
        target.write_bytes(CONTENTS[content])
    result = run_cli(capsys, _argv(template, target, tmp_path))
    if command == "flow run --input" and content in {"wrong-type-list", "wrong-type-string",
                                                     "json-long-integer", "json-nan",
                                                     "huge-repeat", "duplicate-keys"}:
        # any JSON value is a valid input payload for this workflow; the rest must fail
        assert result.code in {0, 1} and "Traceback" not in result.err, result.err
        return
    line = assert_one_error(result)
    assert str(target) in line or target.name in line, line
