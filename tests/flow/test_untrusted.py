"""``flow run``/``flow validate`` and function names (issue: untrusted input cannot escape).

Escape pinned here: ``func_name: ../evil/evil`` (or an absolute path) made ``xaas flow run``
import and run ``<functions>/../evil/evil.py``, a module outside ``--functions``; ``flow
validate`` accepted the definition. Both now refuse it in one line before anything runs, and
the function lookup itself finds nothing but ``<dir>/<name>.py`` for a valid name.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.test_safety import TEXT
from xaas_parsl.cli.main import main
from xaas_parsl.flow.functions import locate

EVIL = "import pathlib\npathlib.Path(__file__).with_name('ran').write_text('evil ran')\n" \
       "def handler(payload):\n    return payload\n"


def _evil_layout(tmp_path: Path) -> tuple[Path, Path]:
    """``functions/`` (what --functions names) and ``evil/evil.py`` beside it."""
    functions = tmp_path / "functions"
    functions.mkdir()
    (functions / "echo.py").write_text("def handler(payload):\n    return payload\n")
    (tmp_path / "evil").mkdir()
    (tmp_path / "evil" / "evil.py").write_text(EVIL)
    return functions, tmp_path / "evil" / "ran"


def _definition(tmp_path: Path, func: str) -> Path:
    path = tmp_path / "wf.json"
    path.write_text(json.dumps({"root": "a", "states": {
        "a": {"type": "task", "func_name": "echo", "next": "b"},
        "b": {"type": "task", "func_name": func}}}))
    return path


@pytest.mark.parametrize("func", ["../evil/evil", "ABS"])
def test_flow_run_and_validate_refuse_functions_outside_the_directory(
        tmp_path: Path, capsys: pytest.CaptureFixture[str], func: str) -> None:
    functions, ran = _evil_layout(tmp_path)
    func = str(tmp_path / "evil" / "evil") if func == "ABS" else func
    wf = _definition(tmp_path, func)
    (tmp_path / "in.json").write_text("{}")
    assert main(["flow", "validate", str(wf)]) == 1
    err = capsys.readouterr().err.strip()
    assert err == f"xaas: error: {wf}: function name {func!r} is not allowed (a Python " \
        "identifier of at most 64 ASCII letters, digits and _)"
    assert main(["flow", "run", str(wf), "--input", str(tmp_path / "in.json"), "--functions",
                 str(functions), "--executor", "none", "--workdir", str(tmp_path / "w")]) == 1
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and err.startswith(f"xaas: error: {wf}: function name")
    assert not ran.exists()


@settings(max_examples=200, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(name=st.one_of(TEXT, st.sampled_from(["../evil/evil", "evil/../echo", "/abs", "echo.py",
                                             "echo", "echo\0", "ECHO"])))
def test_locate_finds_only_files_directly_in_a_source(tmp_path: Path, name: str) -> None:
    functions = tmp_path / "functions"
    if not functions.is_dir():
        _evil_layout(tmp_path)
    found = locate(name, [("dir", str(functions)), ("package", "tests.flow.functions")])
    if found is None:
        return
    kind, where = found
    if kind == "dir":
        assert (Path(where) / f"{name}.py").resolve().parent == functions.resolve()
    else:
        assert name.isidentifier()
