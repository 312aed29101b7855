"""The translators' one interface: every dialect registered, every emitter answering
``emit(model, endpoints) -> Emitted(files, warnings)``, every parser ``parse(text) -> model``, and
endpoints named for what each target calls (a mapping with only ``azure:`` entries is enough for
``--to durable``; ``http:`` serves CNCF and, as a fallback, Cloud Workflows)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.flow.translate.harness import definition
from xaas_parsl.errors import InputError
from xaas_parsl.flow.load import load_workflow
from xaas_parsl.flow.translate import SOURCES, TARGETS, translate
from xaas_parsl.flow.translate.base import EMITTERS, PARSERS, Emitted, Emitter, Parser, emitter
from xaas_parsl.flow.translate.endpoints import Endpoints, load_endpoints

FUNCS = ("gen", "process")  # the functions of 620.func-invo


def _mapping(tmp_path: Path, key: str, value: str) -> Path:
    path = tmp_path / "m.yaml"
    path.write_text("functions:\n" + "".join(
        f"  {f}: {{{key}: '{value.format(f)}'}}\n" for f in FUNCS))
    return path


def test_every_dialect_is_registered_behind_the_base() -> None:
    assert set(TARGETS) == {"sebs", "asl", "gcp", "durable", "cncf"} == set(EMITTERS)
    assert set(SOURCES) == {"sebs", "asl", "gcp"} == set(PARSERS)
    assert all(issubclass(cls, Emitter) for cls in EMITTERS.values())
    assert all(issubclass(cls, Parser) for cls in PARSERS.values())
    with pytest.raises(InputError, match="unknown target dialect 'bpmn'"):
        emitter("bpmn")


@pytest.mark.parametrize("dialect", sorted(EMITTERS))
def test_every_emitter_returns_files_and_warnings_and_its_parser_reads_them_back(
        dialect: str) -> None:
    workflow = load_workflow(definition("620.func-invo"))
    emitted = emitter(dialect).emit(workflow, Endpoints())
    assert isinstance(emitted, Emitted) and emitted.files
    assert all(isinstance(w, str) and "\n" not in w for w in emitted.warnings)
    if dialect in PARSERS:
        (text,) = emitted.files.values()
        back = PARSERS[dialect](Endpoints(), f"x.{dialect}").parse(text)
        assert back.func_names() == workflow.func_names()


def test_a_mapping_with_only_azure_entries_is_enough_for_durable(tmp_path: Path) -> None:
    mapping = _mapping(tmp_path, "azure", "act_{}")
    result = translate(definition("620.func-invo"), "durable", mapping=mapping,
                       out_dir=tmp_path / "app")
    app = (tmp_path / "app" / "function_app.py").read_text()
    assert "def act_gen(" in app and "def act_process(" in app
    assert "ENDPOINTS: dict[str, str] = {}" in app        # URLs from the app setting
    assert sorted(p.name for p in result.files) == ["function_app.py", "host.json",
                                                    "requirements.txt"]
    with pytest.raises(InputError, match="has no 'aws' endpoint in the mapping file"):
        translate(definition("620.func-invo"), "asl", mapping=mapping)


def test_http_endpoints_serve_cncf_durable_and_cloud_workflows(tmp_path: Path) -> None:
    mapping = _mapping(tmp_path, "http", "https://fn.example.org/{}")
    for target in ("cncf", "gcp"):
        text = translate(definition("620.func-invo"), target, mapping=mapping).text or ""
        assert "https://fn.example.org/gen" in text and "cloudfunctions.net" not in text
    translate(definition("620.func-invo"), "durable", mapping=mapping, out_dir=tmp_path / "d")
    assert '"gen": "https://fn.example.org/gen"' in (tmp_path / "d" / "function_app.py").read_text()
    ends = load_endpoints(mapping)
    assert ends.http_url("gen") == ends.cloud_function_url("gen") == ends.durable_url("gen")
    assert ends.activity("gen") == "gen"
    assert Endpoints().durable_url("gen") is None
    assert Endpoints(base="http://127.0.0.1:9").durable_url("gen") == "http://127.0.0.1:9/gen"
