"""Loading and checking SeBS-Flow definitions (JSON or YAML).

Three layers, each with one-line errors that name the file, the state and a JSON pointer:

1. parsing, with duplicate keys detected *while* parsing (``object_pairs_hook`` for JSON, a
   mapping constructor for YAML): after parsing, a dict can no longer tell that ``"hotel"`` was
   written twice, and silently keeping the last one would drop a state;
2. the published JSON Schema (``xaas flow schema``): types, required and unknown fields;
3. name and graph checks the schema cannot express, per scope (the top level, each map body,
   each parallel branch): the root and every ``next``/``failure``/``default``/case target exist
   in the same scope, every state is reachable from the root, and there is no cycle.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

import networkx as nx  # type: ignore[import-untyped, unused-ignore]
import yaml

from xaas_parsl.budget import check_count, parse_json, parse_yaml
from xaas_parsl.errors import InputError
from xaas_parsl.fileio import read_text, validate
from xaas_parsl.flow.model import (
    Loop,
    Map,
    Parallel,
    Repeat,
    Scope,
    Task,
    Workflow,
    escape,
    scope_from_dict,
    successors,
    walk,
)
from xaas_parsl.safety import func_name, state_name

WHAT = "SeBS-Flow definition"


@cache
def flow_schema() -> dict[str, Any]:
    """The JSON Schema (draft 2020-12) we publish for definitions."""
    text = resources.files("xaas_parsl.schemas").joinpath("sebs-flow.schema.json").read_text(
        encoding="utf-8")
    schema: dict[str, Any] = json.loads(text)
    return schema


class _Pairs(dict[str, Any]):
    """A parsed object that remembers the keys it saw more than once."""

    duplicates: tuple[str, ...] = ()


def _pairs(items: list[tuple[str, Any]]) -> _Pairs:
    obj = _Pairs(items)
    if len(obj) != len(items):
        seen: set[str] = set()
        twice: list[str] = []
        for key, _ in items:
            (twice.append if key in seen else seen.add)(key)
        obj.duplicates = tuple(twice)
    return obj


class _DupLoader(yaml.SafeLoader):
    """SafeLoader building ``_Pairs`` so duplicate YAML keys are reported, not merged."""


def _construct_mapping(loader: yaml.SafeLoader, node: yaml.MappingNode) -> _Pairs:
    loader.flatten_mapping(node)
    pairs = [(loader.construct_object(k, deep=True), loader.construct_object(v, deep=True))
             for k, v in node.value]
    return _pairs(pairs)


_DupLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)


def _first_duplicate(data: Any, pointer: str = "") -> tuple[str, str] | None:
    """``(pointer, key)`` of the first object holding a key twice, depth first."""
    if isinstance(data, _Pairs) and data.duplicates:
        return pointer, data.duplicates[0]
    children = data.items() if isinstance(data, dict) else enumerate(data) \
        if isinstance(data, list) else ()
    for key, value in children:
        found = _first_duplicate(value, f"{pointer}/{escape(str(key))}")
        if found:
            return found
    return None


def _plain(data: Any) -> Any:
    """The parsed tree with ordinary dicts (``_Pairs`` is only a parsing aid)."""
    if isinstance(data, dict):
        return {k: _plain(v) for k, v in data.items()}
    if isinstance(data, list):
        return [_plain(v) for v in data]
    return data


def parse_text(text: str, source: str | Path, *, yaml_syntax: bool = False) -> Any:
    """JSON (or YAML) text → data; duplicate keys anywhere are an ``InputError``."""
    if not text.strip():
        raise InputError(f"file is empty, expected a {WHAT}", source)
    try:
        if yaml_syntax:
            data = parse_yaml(text, source, loader=_DupLoader)
        else:
            data = parse_json(text, source, object_pairs_hook=_pairs)
    except json.JSONDecodeError as exc:
        raise InputError(f"invalid JSON at line {exc.lineno} column {exc.colno}: {exc.msg}",
                         source) from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1} column {mark.column + 1}" if mark else ""
        raise InputError(f"invalid YAML{where}: {getattr(exc, 'problem', None) or exc}",
                         source) from None
    found = _first_duplicate(data)
    if found is None:
        return _plain(data)
    pointer, key = found
    if pointer.endswith("/states"):
        raise InputError(f"duplicate state name {key!r} in one states object "
                         f"(at {pointer})", source)
    raise InputError(f"duplicate key {key!r} (at {pointer or '/'})", source)


def _scope_graph(scope: Mapping[str, Any], pointer: str, source: str) -> None:
    """Check one ``{root, states}`` object's names, reachability and cycles."""
    states: Mapping[str, Any] = scope["states"]
    if scope["root"] not in states:
        raise InputError(f"root {scope['root']!r} is not a state of this scope "
                         f"(at {pointer}/root)", source)
    graph: nx.DiGraph[str] = nx.DiGraph()
    graph.add_nodes_from(states)
    typed = scope_from_dict(scope)
    for name, state in typed.states.items():
        for fld, target in successors(state):
            if target not in states:
                raise InputError(
                    f"state {name!r}: {fld.split('/')[0]} target {target!r} is not a state of "
                    f"this scope (at {pointer}/states/{escape(name)}/{fld})", source)
            graph.add_edge(name, target)
    reachable = nx.descendants(graph, scope["root"]) | {scope["root"]}
    unreachable = [n for n in states if n not in reachable]
    if unreachable:
        first = unreachable[0]
        raise InputError(f"state {first!r} is unreachable from root {scope['root']!r} "
                         f"(at {pointer}/states/{escape(first)})", source)
    try:
        cycle = nx.find_cycle(graph, source=scope["root"])
    except nx.NetworkXNoCycle:
        cycle = []
    if cycle:
        names = " -> ".join([cycle[0][0]] + [edge[1] for edge in cycle])
        raise InputError(f"cycle {names} (at {pointer}/states/{escape(cycle[0][0])})", source)
    for name, state in states.items():
        here = f"{pointer}/states/{escape(name)}"
        if state["type"] == "map":
            _scope_graph(state, here, source)
        elif state["type"] == "parallel":
            roots: set[str] = set()
            for i, branch in enumerate(state["parallel_functions"]):
                if branch["root"] in roots:
                    raise InputError(
                        f"state {name!r}: two branches have root {branch['root']!r}, but the "
                        f"output is keyed by branch root (at {here}/parallel_functions/{i}/root)",
                        source)
                roots.add(branch["root"])
                _scope_graph(branch, f"{here}/parallel_functions/{i}", source)


def workflow_from_data(data: Any, source: str | Path = "<definition>") -> Workflow:
    """Validate parsed data (schema, then names and graph) and build the typed ``Workflow``."""
    src = str(source)
    validate(data, flow_schema(), src, WHAT)
    _scope_graph(data, "", src)
    scope = scope_from_dict(data)
    _check_states(scope, src)
    _check_names(scope, src)
    return Workflow(scope, src, data)


def _check_names(scope: Scope, source: str) -> None:
    """Every state and function name against its allow-list (``xaas_parsl.safety``): function
    names pick a file and a module to import, state names land in generated code and text."""
    for _, state in walk(scope):
        state_name(state.name, "sebs", source)
        if isinstance(state, Task | Loop | Repeat):
            func_name(state.call.func_name, source)


def _check_states(scope: Scope, source: str) -> None:
    """Checks the schema cannot state: map parameters, and the repeat budget (a count of
    10^12 is valid JSON Schema-wise but would hang a run or a translation to ASL)."""
    for state in scope.states.values():
        if isinstance(state, Repeat):
            check_count(state.count, f"state {state.name!r}: repeat count", source)
        if isinstance(state, Map):
            if "array_element" in state.common_params:
                raise InputError(f"state {state.name!r}: common_params may not contain "
                                 "'array_element' (the key of the item itself)", source)
            _check_states(state.body, source)
        elif isinstance(state, Parallel):
            for branch in state.branches:
                _check_states(branch, source)


def load_workflow(path: str | Path) -> Workflow:
    """Read, validate and check a definition file (``.yaml``/``.yml`` as YAML, else JSON)."""
    p = Path(path)
    data = parse_text(read_text(p), p, yaml_syntax=p.suffix.lower() in {".yaml", ".yml"})
    return workflow_from_data(data, p)


def load_sebs_config(definition: str | Path) -> dict[str, Any]:
    """SeBS's ``<id>.config.json`` beside ``<id>.json`` (``timeout``, ``memory``, ...), or {}."""
    p = Path(definition)
    config = p.with_name(p.name.rsplit(".", 1)[0] + ".config.json")
    if p.name.endswith(".config.json") or not config.is_file():
        return {}
    data = parse_text(read_text(config), config)
    return dict(data) if isinstance(data, dict) else {}
