"""Model → CNCF Serverless Workflow 1.0 (YAML DSL): checked statically against the 1.0 schema.

No 1.0 engine is installable here, so this translation is validated with jsonschema against the
DSL schema (``reference/schemas/cncf-serverless-workflow-1.0``) and not executed; its runtime
reading of the spec is documented next to each construct. Decisions, each against a limit of
SeBS's 0.8 generator (reference README §2.4):

- the workflow input is the payload; every task's output is the new payload; a call is
  ``call: http`` (POST of ``{payload, request_id}``, ``request_id`` = ``$workflow.id``) whose
  ``output.as`` keeps ``.payload`` of the answer;
- every task has an explicit ``then`` (a task name; ``end`` at the top level, ``exit`` inside a
  map body or branch, which leaves only that composite task);
- repeat chains its calls (a ``for`` over ``range(count)`` whose iterations pass the payload on);
  loop calls the function per element and discards the results; neither runs concurrently
  (SeBS's 0.8 ``foreach`` ran both in parallel and did not chain repeat);
- map → ``for`` over the list with any body (SeBS: one-task bodies only); item results are
  collected in the workflow context under a key of the map's own and written back to the
  map's path. 1.0's ``for`` has no concurrent mode, so items run one after another — a warning
  says so;
- parallel → ``fork`` with one branch per scope (any body; SeBS serialised non-trivial ones), the
  outputs keyed by branch root;
- ``failure`` → ``try``/``catch`` around the call, then a ``switch`` on the outcome: the handler
  receives the payload the task received (the catch's tasks get the try task's input);
- switch → ``switch`` with ``when`` conditions that check the type first (``type ==
  "number"``/``"string"``), so values of different kinds never match.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from xaas_parsl.flow.model import (
    Call,
    Case,
    Loop,
    Map,
    Parallel,
    Repeat,
    Scope,
    State,
    Switch,
    Task,
)
from xaas_parsl.flow.model import Workflow as FlowWorkflow
from xaas_parsl.flow.translate.gcp_emit import dump_yaml

DSL = "1.0.0"
NAMESPACE = "xaas-flow"
_NAME_OK = re.compile(r"^[a-zA-Z0-9](?:[a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?$")


def jq(code: str) -> str:
    return "${ " + code + " }"


def jq_path(path: str) -> str:
    """``getpath([...])`` for a dotted model path (digit segments index lists)."""
    parts = [int(s) if s.isdigit() else s for s in path.split(".")]
    return f"getpath({json.dumps(parts)})"


def dns_label(text: str) -> str:
    """``text`` as a 1.0 ``document.name`` (letters, digits, inner dashes; ≤ 63 chars)."""
    label = re.sub(r"[^a-zA-Z0-9-]+", "-", text).strip("-")[:63].strip("-")
    return label if _NAME_OK.match(label) else "workflow"


def set_to(code: str) -> dict[str, Any]:
    """A ``set`` task whose output is the value of ``code`` (1.0.0's ``set`` takes an object)."""
    return {"set": {"value": jq(code)}, "output": {"as": jq(".value")}}


def when(case: Case) -> str:
    kind = "string" if isinstance(case.val, str) else "number"
    value = jq_path(case.var)
    return jq(f'({value} | type) == "{kind}" and {value} {case.op} {json.dumps(case.val)}')


@dataclass
class _Emitter:
    url_for: Callable[[str], str]
    warnings: list[str] = field(default_factory=list)

    def call(self, call: Call, body_payload: str, output: str | None) -> dict[str, Any]:
        task: dict[str, Any] = {"call": "http", "with": {
            "method": "post", "endpoint": self.url_for(call.func_name),
            "body": {"payload": body_payload, "request_id": jq("$workflow.id")}}}
        if output is not None:
            task["output"] = {"as": output}
        if call.timeout_s is not None:
            task["timeout"] = {"after": {"milliseconds": round(call.timeout_s * 1000)}}
        if call.retry.max_attempts > 1:
            task = {"try": [{"call": task}], "catch": {"retry": {
                "delay": {"milliseconds": round(call.retry.interval_s * 1000)},
                "backoff": {"exponential": {}},
                "limit": {"attempt": {"count": call.retry.max_attempts}}}}}
        return task

    def scope(self, scope: Scope, where: str, nested: bool) -> list[dict[str, Any]]:
        end = "exit" if nested else "end"
        order = [scope.root] + [n for n in scope.states if n != scope.root]
        tasks: list[dict[str, Any]] = []
        for name in order:
            tasks.extend(self.state(scope.states[name], where, end))
        return tasks

    def state(self, state: State, where: str, end: str) -> list[dict[str, Any]]:
        path = f"{where}/{state.name}" if where else state.name
        then = state.next if not isinstance(state, Switch) and state.next else end
        if isinstance(state, Task):
            call = self.call(state.call, jq("."), jq(".payload"))
            if state.failure is None:
                return [{state.name: {**call, "then": then}}]
            route = f"{state.name}__route"
            return [
                {state.name: {
                    "try": [{f"{state.name}__call": {
                        **self.call(state.call, jq("."),
                                    jq("{xaas_ok: true, payload: .payload}"))}}],
                    "catch": {"as": "error", "do": [{f"{state.name}__failed":
                                                     set_to("{xaas_ok: false, payload: .}")}]},
                    "then": route}},
                {route: {"switch": [
                    {"failed": {"when": jq(".xaas_ok == false"), "then": state.failure}},
                    {"succeeded": {"then": then}}],
                    "output": {"as": jq(".payload")}}},
            ]
        if isinstance(state, Repeat):
            return [{state.name: {
                "for": {"each": "iteration", "in": jq(f"[range({state.count})]")},
                "do": [{f"{state.name}__call": self.call(state.call, jq("."), jq(".payload"))}],
                "then": then}}]
        if isinstance(state, Loop):
            return [{state.name: {
                "for": {"each": "element", "in": jq(jq_path(state.array))},
                "do": [{f"{state.name}__call": self.call(state.call, jq("$element"),
                                                         jq("$input"))}],
                "output": {"as": jq("$input")},
                "then": then}}]
        if isinstance(state, Switch):
            cases: list[dict[str, Any]] = [{f"case_{i}": {"when": when(c), "then": c.next}}
                                           for i, c in enumerate(state.cases)]
            cases.append({"default": {"then": state.default}})
            return [{state.name: {"switch": cases}}]
        if isinstance(state, Map):
            return self.map_tasks(state, path, then)
        if isinstance(state, Parallel):
            branches = [{b.root: {"do": self.scope(b, f"{path}/{b.root}", True)}}
                        for b in state.branches]
            keyed = ", ".join(f"{json.dumps(b.root)}: .[{i}]"
                              for i, b in enumerate(state.branches))
            return [{state.name: {"fork": {"branches": branches, "compete": False},
                                  "output": {"as": jq("{" + keyed + "}")},
                                  "then": then}}]
        raise TypeError(f"unknown state {state!r}")

    def map_tasks(self, state: Map, path: str, then: str) -> list[dict[str, Any]]:
        self.warnings.append(f"state {state.name!r}: Serverless Workflow 1.0 'for' runs map "
                             "items one after another (no concurrent iteration in the DSL)")
        key = "xaas_map_" + re.sub(r"[^A-Za-z0-9_]", "_", path)
        params = "{" + ", ".join(f"{json.dumps(p)}: {jq_path(p)}"
                                 for p in state.common_params) + "}"
        item = "{array_element: $item} + $context." + key + ".params" \
            if state.common_params else "$item"
        start = {"payload": ".", "results": "[]", "params": params}
        saved = "{" + ", ".join(f"{k}: {v}" for k, v in start.items()) + "}"
        return [
            {state.name: {**set_to("."), "export": {"as": jq(
                f"$context + {{{key}: {saved}}}")}, "then": f"{state.name}__items"}},
            {f"{state.name}__items": {
                "for": {"each": "item", "in": jq(jq_path(state.array)), "at": "index"},
                "do": [{f"{state.name}__body": {
                    "input": {"from": jq(item)},
                    "do": self.scope(state.body, path, True),
                    "export": {"as": jq(f"$context + {{{key}: ($context.{key} + {{results: "
                                        f"($context.{key}.results + [.])}})}}")}}}],
                "then": f"{state.name}__store"}},
            {f"{state.name}__store": {**set_to(
                f"$context.{key}.payload | setpath({json.dumps(_path_list(state.result))}; "
                f"$context.{key}.results)"), "then": then}},
        ]


def _path_list(path: str) -> list[int | str]:
    return [int(s) if s.isdigit() else s for s in path.split(".")]


def emit_cncf_data(wf: FlowWorkflow, url_for: Callable[[str], str],
                   name: str | None = None) -> tuple[dict[str, Any], list[str]]:
    """The 1.0 document as data, and the warnings for the user."""
    emitter = _Emitter(url_for)
    stem = name or wf.source.rsplit("/", 1)[-1].removesuffix(".json").removesuffix(".yaml")
    doc: dict[str, Any] = {
        "document": {"dsl": DSL, "namespace": NAMESPACE, "name": dns_label(stem),
                     "version": "1.0.0",
                     "summary": f"Translated from {wf.source} by xaas flow translate"},
        "do": emitter.scope(wf.scope, "", False),
    }
    return doc, emitter.warnings


def emit_cncf(wf: FlowWorkflow, url_for: Callable[[str], str],
              warnings: list[str] | None = None) -> str:
    """The workflow as Serverless Workflow 1.0 YAML."""
    data, found = emit_cncf_data(wf, url_for)
    if warnings is not None:
        warnings.extend(found)
    return dump_yaml(data)
