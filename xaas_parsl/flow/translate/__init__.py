"""Translating SeBS-Flow workflows between providers: ``translate(source, to)``.

Every translation goes through the typed model (``xaas_parsl.flow.model``): a source dialect is
parsed (SeBS JSON/YAML by the flow loader, ASL by ``asl_parse``, Cloud Workflows YAML by
``gcp_parse``) into a checked ``Workflow``, and an emitter writes the target (``sebs``, ``asl``,
``gcp``, ``durable``, ``cncf``). The model is the reference semantics the local executor runs, so
"A → B" is "A → model → B" and each emitter/parser is tested once against the executor instead of
every pair against every other. Emitters and parsers share one small interface
(``base.Emitter.emit(model, endpoints) -> Emitted(files, warnings)``,
``base.Parser.parse(text) -> model``) and are registered by dialect (``dialects.py``), so this
module knows no dialect.

The source dialect is detected from the content (``--from`` overrides): an object with ``root``
and ``states`` whose state types are lowercase is SeBS; ``StartAt`` + ``States`` is ASL; a YAML
mapping with ``main`` holding ``steps`` (or a top-level step list) is Cloud Workflows.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from xaas_parsl.budget import parse_json, parse_yaml
from xaas_parsl.errors import InputError
from xaas_parsl.fileio import read_text
from xaas_parsl.flow.model import Loop, Repeat, Task, Workflow, walk
from xaas_parsl.flow.translate import dialects
from xaas_parsl.flow.translate.base import EMITTERS, PARSERS, Emitter, emitter, parser
from xaas_parsl.flow.translate.endpoints import Endpoints, load_endpoints

TARGETS = tuple(EMITTERS)
SOURCES = tuple(PARSERS)


@dataclass
class Translation:
    """The target ``text`` (single-file targets) or the ``files`` written (durable), and the
    warnings to show the user (one line each)."""

    target: str
    text: str | None = None
    files: list[Path] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


def detect(text: str, path: str | Path) -> str:
    """``sebs``, ``asl`` or ``gcp`` from the content; ``InputError`` when it is none of them."""
    try:
        data = parse_json(text, path)
    except json.JSONDecodeError as exc:
        if text.lstrip()[:1] in {"{", "["}:
            raise InputError(f"invalid JSON at line {exc.lineno} column {exc.colno}: "
                             f"{exc.msg}", path) from None
        try:
            data = parse_yaml(text, path)
        except yaml.YAMLError:
            raise InputError("neither JSON nor YAML: cannot tell the dialect (use --from)",
                             path) from None
    if isinstance(data, dict):
        if "StartAt" in data and "States" in data:
            return "asl"
        states = data.get("states")
        if "root" in data and isinstance(states, dict) and all(
                isinstance(s, dict) and str(s.get("type", "")).islower()
                for s in states.values()):
            return "sebs"
        main = data.get("main")
        if isinstance(main, dict) and "steps" in main:
            return "gcp"
    if isinstance(data, list) and data and all(isinstance(s, dict) and len(s) == 1
                                               for s in data):
        return "gcp"
    raise InputError("cannot tell the dialect: expected SeBS (root + states), ASL (StartAt + "
                     "States) or Cloud Workflows (main: {steps: ...}); use --from", path)


def _line(text: str, name: str) -> str:
    found = re.search(re.escape(json.dumps(name)) + r"\s*:|^\s*-?\s*" + re.escape(name)
                      + r"\s*:", text, re.MULTILINE)
    return f" (line {text.count(chr(10), 0, found.start()) + 1})" if found else ""


def _check_mapping(wf: Workflow, endpoints: Endpoints, target: Emitter, text: str) -> None:
    """A function missing from the mapping: one line naming the state, its line, the file."""
    for _, state in walk(wf.scope):
        if isinstance(state, Task | Loop | Repeat):
            try:
                endpoints.check([state.call.func_name], target.endpoint_keys,
                                target.endpoint_required)
            except InputError as exc:
                raise InputError(f"state {state.name!r}{_line(text, state.name)}: "
                                 f"{exc.problem} ({exc.path})", wf.source) from None


def read_source(path: Path, text: str, from_: str | None, endpoints: Endpoints,
                warnings: list[str]) -> Workflow:
    """Any source dialect → checked ``Workflow``."""
    return parser(from_ or detect(text, path), endpoints, path, warnings).parse(text)


def translate(source_path: str | Path, to: str, from_: str | None = None,
              mapping: str | Path | None = None, endpoint_base: str | None = None,
              out_dir: str | Path | None = None) -> Translation:
    """Translate the definition at ``source_path`` to ``to``; see the module docstring."""
    target = emitter(to)
    path = Path(source_path)
    if target.directory and out_dir is None:
        raise InputError(f"--to {to} writes a directory: give -o DIR", path)
    text = read_text(path)
    endpoints = load_endpoints(mapping, endpoint_base)
    result = Translation(to)
    wf = read_source(path, text, from_, endpoints, result.warnings)
    if endpoints.mapping and target.endpoint_keys:
        _check_mapping(wf, endpoints, target, text)
    emitted = target.emit(wf, endpoints)
    result.warnings.extend(emitted.warnings)
    if target.directory:
        assert out_dir is not None
        result.files = dialects.write_files(emitted, Path(out_dir))
    else:
        (result.text,) = emitted.files.values()
    return result
