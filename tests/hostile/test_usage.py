"""Click's usage errors keep the project's rule: an unknown option or command, a missing
argument, a bad choice or an unparsable value is one ``xaas: error:`` line naming the command,
exit 1, no usage block; ``--help`` (and a bare group) still print the help and exit 0."""

from __future__ import annotations

import pytest

from tests.hostile.conftest import assert_one_error, run_cli

USAGE: dict[str, tuple[list[str], str]] = {
    "unknown command": (["bogus"], "No such command 'bogus' (see 'xaas --help')"),
    "unknown subcommand": (["flow", "rnu"], "flow: No such command 'rnu'"),
    "unknown option": (["flow", "run", "--nope", "wf.json"], "flow run: No such option: --nope"),
    "unknown top-level option": (["--nope"], "No such option: --nope"),
    "missing argument": (["flow", "run"], "flow run: Missing argument 'DEFINITION'"),
    "missing argument ir build": (["ir", "build"], "ir build: Missing argument"),
    "bad choice": (["showcase", "--deploy", "x"], "showcase: Invalid value for '--deploy'"),
    "bad choice step": (["showcase", "step", "nope", "--settings", "{}", "-o", "o.json"],
                        "showcase step: Invalid value for '{"),
    "bad float": (["flow", "run", "wf.json", "--timeout", "abc"],
                  "flow run: Invalid value for '--timeout'"),
    "bad int": (["burst", "run", "--app", "sort", "--size", "many"],
                "burst run: Invalid value for '--size'"),
    "missing option value": (["flow", "bench", "620", "-o"],
                             "Option '-o' requires an argument"),
    "missing required option": (["showcase", "step", "discover", "-o", "o.json"],
                                "showcase step: Missing option '--settings'"),
    "extra argument": (["system", "discover", "a", "b", "c"], "Got unexpected extra argument"),
}


@pytest.mark.parametrize("case", USAGE)
def test_usage_error_is_one_line_exit_1(case: str, capsys: pytest.CaptureFixture[str]) -> None:
    argv, expected = USAGE[case]
    result = run_cli(capsys, argv)
    line = assert_one_error(result)
    assert expected in line, line
    assert "Usage:" not in result.err and result.out == "", result.err


@pytest.mark.parametrize("argv", [["--help"], ["flow", "run", "--help"], ["ir", "build", "-h"],
                                  ["flow"], ["showcase", "step", "--help"]])
def test_help_still_prints_the_usage_and_exits_0(argv: list[str],
                                                 capsys: pytest.CaptureFixture[str]) -> None:
    result = run_cli(capsys, argv)
    assert result.code == 0 and result.out.startswith("Usage: xaas"), result
    assert result.err == ""


def test_version_exits_0(capsys: pytest.CaptureFixture[str]) -> None:
    result = run_cli(capsys, ["--version"])
    assert result.code == 0 and result.out.startswith("xaas, version"), result
