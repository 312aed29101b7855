"""Generated Durable apps: import with the real SDK, pass ruff, and keep orchestrators pure."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

from tests.flow.translate.durable_run import (
    NotDeterministic,
    import_app,
    registered,
    run_durable,
)
from tests.flow.translate.harness import NINE, definition, serving
from xaas_parsl.errors import InputError
from xaas_parsl.flow.load import load_workflow
from xaas_parsl.flow.translate.durable import emit_durable

RUFF = Path(sys.executable).with_name("ruff")
# calls an orchestrator must never make (I/O, clock, randomness): replay would diverge
FORBIDDEN = {"uuid4", "uuid1", "now", "utcnow", "time", "random", "randint", "urlopen",
             "_post", "open", "sleep"}


def _orchestrator_functions(tree: ast.Module) -> list[ast.FunctionDef]:
    out = []
    for node in tree.body:
        if not isinstance(node, ast.FunctionDef):
            continue
        decorators = [ast.unparse(d) for d in node.decorator_list]
        if node.name.startswith("_scope_") or any("orchestration_trigger" in d
                                                  for d in decorators):
            out.append(node)
    return out


@pytest.mark.parametrize("stem", NINE)
def test_app_imports_registers_and_passes_ruff(stem: str, tmp_path: Path) -> None:
    wf = load_workflow(definition(stem))
    paths = emit_durable(wf, lambda f: f, tmp_path)
    assert sorted(p.name for p in paths) == ["function_app.py", "host.json", "requirements.txt"]
    app = tmp_path / "function_app.py"
    lint = subprocess.run([str(RUFF), "check", "--isolated", "--line-length", "100",
                           "--select", "E,F,W,I,UP,B,SIM,RUF", str(app)],
                          capture_output=True, text=True, check=False)
    assert lint.returncode == 0, lint.stdout
    functions = registered(import_app(tmp_path))
    assert "workflow" in functions and "http_start" in functions
    assert set(wf.func_names()) <= set(functions)
    tree = ast.parse(app.read_text())
    for fn in _orchestrator_functions(tree):
        called = {node.func.attr if isinstance(node.func, ast.Attribute) else
                  getattr(node.func, "id", "") for node in ast.walk(fn)
                  if isinstance(node, ast.Call)}
        assert not called & FORBIDDEN, (fn.name, called & FORBIDDEN)
    assert "context.new_uuid()" in app.read_text()


def test_sebs_bug_uuid4_request_id_is_caught_by_replay(tmp_path: Path) -> None:
    """SeBS's orchestrator used ``uuid.uuid4()``: replay schedules other inputs, and we see it."""
    wf = load_workflow(definition("620.func-invo"))
    with serving() as server:
        emit_durable(wf, lambda f: f, tmp_path, url_for=lambda f: f"{server.url}/{f}")
        app = tmp_path / "function_app.py"
        text = app.read_text().replace("request_id = context.new_uuid()",
                                       "import uuid\n    request_id = str(uuid.uuid4())")
        app.write_text(text)
        with pytest.raises(NotDeterministic):
            run_durable(tmp_path, {"size": 4}, server)


def test_sub_orchestrators_take_input_by_keyword(tmp_path: Path) -> None:
    """SeBS passed the input dict positionally into ``version`` of ``call_sub_orchestrator``."""
    emit_durable(load_workflow(definition("6100.1000-genome")), lambda f: f, tmp_path)
    tree = ast.parse((tmp_path / "function_app.py").read_text())
    calls = [n for n in ast.walk(tree) if isinstance(n, ast.Call)
             and isinstance(n.func, ast.Attribute) and n.func.attr == "call_sub_orchestrator"]
    assert calls
    assert all(len(c.args) == 1 and [k.arg for k in c.keywords] == ["input_"] for c in calls)


def test_parallel_keys_by_branch_root_and_map_rooted_branch_runs_as_sub_orchestration(
        tmp_path: Path) -> None:
    """SeBS keyed parallel results by function name and crashed on a map-rooted branch."""
    emit_durable(load_workflow(definition("6100.1000-genome")), lambda f: f, tmp_path)
    text = (tmp_path / "function_app.py").read_text()
    assert "zip(['frequency', 'mutation_overlap'], results, strict=True)" in text
    assert "def branch_frequency_and_overlap_frequency(" in text


def test_activity_name_must_be_an_identifier(tmp_path: Path) -> None:
    wf = load_workflow(definition("640.selfish-detour"))
    with pytest.raises(InputError, match="activity name 'measure-it'"):
        emit_durable(wf, lambda f: f"{f}-it", tmp_path)
    assert not (tmp_path / "function_app.py").exists()
