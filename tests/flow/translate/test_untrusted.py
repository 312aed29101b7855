"""Names from a workflow definition in generated code (issue: untrusted input cannot escape).

Escape pinned here: a state name containing ``\"\"\"`` ended a docstring of the generated Durable
``function_app.py``, and what followed ran as code. Names are now allow-listed at load
(``safety.state_name``/``func_name``) and every emitter quotes them (``repr``, JSON, the YAML
dumper, ``safety.doc_text`` in docstrings and comments), never pastes them.
"""

from __future__ import annotations

import ast
import json
import re
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.flow.translate.durable_run import import_app, registered
from tests.test_safety import TEXT
from xaas_parsl.errors import InputError
from xaas_parsl.flow.load import workflow_from_data
from xaas_parsl.flow.translate.asl_emit import emit_asl
from xaas_parsl.flow.translate.cncf import emit_cncf_data
from xaas_parsl.flow.translate.durable import emit_durable, emit_durable_app
from xaas_parsl.flow.translate.gcp_emit import emit_gcp

URL = "https://f.example/{}"
PAYLOAD = 'a"""; __import__("os").mkdir("pwned"); """b'


def _definition(name: str, func: str = "echo") -> dict[str, Any]:
    body = {"root": "f1", "states": {"f1": {"type": "task", "func_name": func, "next": "f2"},
                                     "f2": {"type": "task", "func_name": func}}}
    return {"root": name, "states": {name: {"type": "map", "array": "items", **body}}}


def _calls(tree: ast.AST) -> set[str]:
    """Every callee, nested orchestrators' generated names (from sanitized state names)
    folded into one."""
    return {re.sub(r"^_scope_(map|branch)_\w+$", r"_scope_\1_*", ast.unparse(n.func))
            for n in ast.walk(tree) if isinstance(n, ast.Call)}


def _constants(tree: ast.AST) -> set[str]:
    return {n.value for n in ast.walk(tree) if isinstance(n, ast.Constant)
            and isinstance(n.value, str)}


def test_a_docstring_breaking_state_name_stays_a_string(tmp_path: Path,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    marker = tmp_path / "pwned"
    name = PAYLOAD
    wf = workflow_from_data(_definition(name), "evil.json")
    emit_durable(wf, lambda f: f, tmp_path / "app")
    text = (tmp_path / "app" / "function_app.py").read_text()
    tree = ast.parse(text)
    benign = ast.parse(emit_durable_app(workflow_from_data(_definition("m"), "evil.json"),
                                        lambda f: f)[0])
    assert _calls(tree) == _calls(benign)  # no call the template does not make
    assert name in _constants(tree)  # the name is data: a string, exactly as given
    assert "workflow" in registered(import_app(tmp_path / "app"))
    assert not marker.exists()


@pytest.mark.parametrize("func", ['a"""b', "../evil/evil", "/tmp/evil", "os.system", "a b"])
def test_function_names_are_refused_at_load(func: str) -> None:
    with pytest.raises(InputError, match="function name") as info:
        workflow_from_data(_definition("m", func), "evil.json")
    assert info.value.path == "evil.json"


@pytest.mark.parametrize("name", ["a\nb", " m", "x" * 81, "a\x00b", "a\u2028b"])
def test_state_names_outside_the_allow_list_are_refused(name: str) -> None:
    with pytest.raises(InputError, match="state name"):
        workflow_from_data(_definition(name), "evil.json")


@settings(max_examples=150, deadline=None)
@given(name=TEXT)
def test_any_accepted_state_name_is_quoted_by_every_emitter(name: str) -> None:
    try:
        wf = workflow_from_data(_definition(name), "evil.json")
    except InputError:
        return
    benign = workflow_from_data(_definition("m"), "evil.json")
    text = emit_durable_app(wf, lambda f: f)[0]
    tree = ast.parse(text)
    assert _calls(tree) == _calls(ast.parse(emit_durable_app(benign, lambda f: f)[0]))
    assert name in _constants(tree)
    url = URL.format
    asl = json.loads(emit_asl(wf, lambda f: f"arn:aws:lambda:::function:{f}"))
    assert any(name in k for k in _keys(asl))  # ASL may suffix a name to keep it unique
    gcp = yaml.safe_load(emit_gcp(wf, url))
    assert name in _keys(gcp)
    cncf = emit_cncf_data(wf, url)[0]
    assert name in _keys(cncf)


def _keys(data: Any) -> set[str]:
    out: set[str] = set()
    if isinstance(data, dict):
        for k, v in data.items():
            out.add(str(k))
            out |= _keys(v)
    elif isinstance(data, list):
        for v in data:
            out |= _keys(v)
    return out


@settings(max_examples=50, deadline=None)
@given(source=st.text(min_size=1, max_size=20))
def test_the_source_path_cannot_break_a_header(source: str) -> None:
    wf = workflow_from_data(_definition("m"), source)
    assert _calls(ast.parse(emit_durable_app(wf, lambda f: f)[0])) == \
        _calls(ast.parse(emit_durable_app(workflow_from_data(_definition("m"), "x"),
                                          lambda f: f)[0]))
    text = emit_gcp(wf, URL.format)
    assert yaml.safe_load(text) == yaml.safe_load(emit_gcp(
        workflow_from_data(_definition("m"), "x"), URL.format))
