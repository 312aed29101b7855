"""Model → Google Cloud Workflows YAML, with the semantics of docs/flow.md §2.

The execution argument is the initial payload (``main: {params: [input]}``) and the workflow
returns the final payload, as ``xaas flow run`` prints it. Every function call goes through one
subworkflow, ``call_function(url, payload, request_id)``, which posts the envelope
``{payload, request_id}`` and returns ``.body.payload`` of the answer; an HTTP error (the
function raised: ``xaas flow serve`` answers 500) raises in the workflow. A task is therefore one
step in its scope (SeBS's generator needed two per task). Decisions, each against a bug of SeBS's
generator (reference README §2.4):

- every step carries an explicit ``next`` (or is a ``return``): nothing falls through, so a
  saga's success path never runs its compensations and only one switch target runs;
- switch values are YAML/JSON literals inside the expression (``"abc"``, not ``abc``) and each
  condition first checks the type with ``get_type`` against a literal of the same kind, so
  values of different kinds never match (model rule, also for ``!=``);
- maps are a native ``parallel: for`` over the list (no ``experimental.executions.map``, no
  separate deployed workflow, the body called by its ``func_name``); the body is a subworkflow;
- ``failure`` → ``try``/``except`` around the call: the handler step receives ``payload``
  unchanged, because the call's ``result`` is only assigned when the call succeeded;
- parallel → ``parallel: branches``, one subworkflow per branch, each result in its own shared
  variable, joined into ``{branch root: result}`` (SeBS kept only one step per branch).

Scoping. Map items and branches run as subworkflow calls, so nothing inside them touches the
caller's variables; an iteration's result lands in its own iteration-local variable and is then
written to the shared list under the iteration's index (Cloud Workflows' documented pattern:
``shared: [results]``, ``results[index]: ...``), so results keep element order.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import yaml

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
    Workflow,
)
from xaas_parsl.safety import doc_text

CALL_FUNCTION = "call_function"
RETRY_PREDICATE = "retry_every_error"
RETURN_STEP = "return_payload"
EXECUTION_ID = 'sys.get_env("GOOGLE_CLOUD_WORKFLOW_EXECUTION_ID")'
HTTP_TIMEOUT_MAX_S = 1800  # Cloud Workflows' ceiling for one HTTP request
MAX_BRANCHES = 10  # Cloud Workflows: branches of one parallel step
MAX_CONCURRENCY = 20  # Cloud Workflows: concurrently running branches/iterations
# Loop variables of a map's parallel for. Not ``item``/``index``: workflows-emulator 1.10.0
# keeps them in context variables that any mapping key of the same name in the workflow
# overwrites (the ``index:`` key of every ``for`` reset ``index`` to the string "index").
ITEM = "map_item"
INDEX = "map_index"
_NUMBER_TYPES = "[get_type(0), get_type(0.5)]"
_STRING_TYPE = 'get_type("")'


def expr(code: str) -> str:
    """``${code}``: a Cloud Workflows expression."""
    return "${" + code + "}"


def path_expr(root: str, path: str) -> str:
    """A dotted model path as a subscript chain: ``a.b.0`` → ``payload["a"]["b"][0]``."""
    out = root
    for segment in path.split("."):
        out += f"[{segment}]" if segment.isdigit() else f"[{json.dumps(segment)}]"
    return out


def literal(value: int | float | str) -> str:
    """A switch value as an expression literal (strings quoted: SeBS pasted them bare)."""
    return json.dumps(value)


def condition(case: Case) -> str:
    """The case's condition: type check first (``and`` short-circuits), then the comparison."""
    left = path_expr("payload", case.var)
    kinds = _STRING_TYPE if isinstance(case.val, str) else _NUMBER_TYPES
    check = f"get_type({left}) == {kinds}" if isinstance(case.val, str) \
        else f"get_type({left}) in {kinds}"
    return expr(f"{check} and {left} {case.op} {literal(case.val)}")


def ident(text: str) -> str:
    """``text`` as a subworkflow-name fragment (letters, digits, underscores)."""
    return re.sub(r"[^A-Za-z0-9_]", "_", text)


@dataclass
class _Emitter:
    url_for: Callable[[str], str]
    subworkflows: dict[str, dict[str, Any]] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    uses_retry: bool = False
    timeouts: dict[str, int] = field(default_factory=dict)

    # -- scopes -------------------------------------------------------------------------
    def scope_steps(self, scope: Scope, where: str) -> list[dict[str, Any]]:
        """The steps of one scope: root first, every step with its ``next``, then the return."""
        ret = RETURN_STEP
        while ret in scope.states:
            ret += "_"
        order = [scope.root] + [n for n in scope.states if n != scope.root]
        taken = set(scope.states) | {ret}
        steps: list[dict[str, Any]] = []
        for name in order:
            steps.extend(self.state_steps(scope.states[name], ret, where, taken))
        steps.append({ret: {"return": expr("payload")}})
        return steps

    def subworkflow(self, scope: Scope, where: str, kind: str) -> str:
        name = f"{kind}_{ident(where)}"
        while name in self.subworkflows:
            name += "_"
        self.subworkflows[name] = {}  # reserve the name before nested scopes take theirs
        self.subworkflows[name] = {"params": ["payload", "request_id"],
                                   "steps": self.scope_steps(scope, where)}
        return name

    # -- states -------------------------------------------------------------------------
    def state_steps(self, state: State, ret: str, where: str,
                    taken: set[str]) -> list[dict[str, Any]]:
        def nxt(target: str | None) -> str:
            return ret if target is None else target

        def helper(suffix: str) -> str:
            name = f"{state.name}__{suffix}"
            while name in taken:
                name += "_"
            taken.add(name)
            return name

        path = f"{where}/{state.name}" if where else state.name
        if isinstance(state, Task):
            call = self.call_step(state.call, expr("payload"), "payload")
            if state.failure is None:
                return [{state.name: {**self.with_retry(call, state.call),
                                      "next": nxt(state.next)}}]
            handled = helper("failed")
            # ``next`` also inside the try: workflows-emulator 1.10.0 takes the step after a
            # ``try`` from the tried step and ignores the outer ``next`` (a saga's success path
            # fell through into its compensations); Cloud Workflows honours both, same target.
            call["next"] = nxt(state.next)
            return [{state.name: {**self.with_retry(call, state.call, always_try=True),
                                  "except": {"as": "error", "steps": [
                                      {handled: {"next": state.failure}}]},
                                  "next": nxt(state.next)}}]
        if isinstance(state, Repeat):
            body = helper("call")
            call = self.call_step(state.call, expr("payload"), "payload")
            return [{state.name: {"for": {"value": "iteration", "range": [1, state.count],
                                          "steps": [{body: {**self.with_retry(call, state.call),
                                                            "next": "continue"}}]},
                                  "next": nxt(state.next)}}]
        if isinstance(state, Loop):
            body = helper("call")
            call = self.call_step(state.call, expr("element"), None)
            return [{state.name: {"for": {"value": "element",
                                          "in": expr(path_expr("payload", state.array)),
                                          "steps": [{body: {**self.with_retry(call, state.call),
                                                            "next": "continue"}}]},
                                  "next": nxt(state.next)}}]
        if isinstance(state, Switch):
            return [{state.name: {"switch": [{"condition": condition(c), "next": c.next}
                                             for c in state.cases],
                                  "next": state.default}}]
        if isinstance(state, Map):
            return self.map_steps(state, nxt(state.next), path, helper)
        if isinstance(state, Parallel):
            return self.parallel_steps(state, nxt(state.next), path, helper)
        raise TypeError(f"unknown state {state!r}")

    def call_step(self, call: Call, payload: str, result: str | None) -> dict[str, Any]:
        timeout = HTTP_TIMEOUT_MAX_S
        if call.timeout_s is not None:
            timeout = min(HTTP_TIMEOUT_MAX_S, max(1, round(call.timeout_s)))
            if call.timeout_s > HTTP_TIMEOUT_MAX_S:
                self.warnings.append(f"function {call.func_name!r}: timeout {call.timeout_s:g} s "
                                     f"capped at Cloud Workflows' {HTTP_TIMEOUT_MAX_S} s")
        helper = CALL_FUNCTION if timeout == HTTP_TIMEOUT_MAX_S else f"{CALL_FUNCTION}_{timeout}s"
        self.timeouts[helper] = timeout
        step: dict[str, Any] = {"call": helper, "args": {
            "url": self.url_for(call.func_name), "payload": payload,
            "request_id": expr("request_id")}}
        if result is not None:
            step["result"] = result
        return step

    def with_retry(self, call_step: dict[str, Any], call: Call,
                   always_try: bool = False) -> dict[str, Any]:
        """The call step, wrapped in ``try`` (+ ``retry`` when the call has attempts left)."""
        if call.retry.max_attempts <= 1 and not always_try:
            return call_step
        wrapped: dict[str, Any] = {"try": call_step}
        if call.retry.max_attempts > 1:
            self.uses_retry = True
            policy = call.retry
            # the schema types the backoff fields as integers (seconds, factor)
            initial = max(1, math.ceil(policy.interval_s))
            multiplier = max(1, round(policy.backoff_rate))
            if initial != policy.interval_s or multiplier != policy.backoff_rate:
                self.warnings.append(
                    f"function {call.func_name!r}: retry interval {policy.interval_s:g} s and "
                    f"backoff {policy.backoff_rate:g} become {initial} s and {multiplier} "
                    "(Cloud Workflows takes whole numbers)")
            wrapped["retry"] = {"predicate": expr(RETRY_PREDICATE),
                                "max_retries": policy.max_attempts - 1,
                                "backoff": {"initial_delay": initial,
                                            # one above the longest wait: never binding
                                            # (workflows-emulator stops retrying once its
                                            # delay reaches max_delay)
                                            "max_delay": initial * multiplier
                                            ** (policy.max_attempts - 2) + 1,
                                            "multiplier": multiplier}}
        return wrapped

    def map_steps(self, state: Map, nxt: str, path: str,
                  helper: Callable[[str], str]) -> list[dict[str, Any]]:
        body = self.subworkflow(state.body, path, "map")
        items, store, call, place = helper("items"), helper("store"), helper("call"), \
            helper("place")
        init: list[dict[str, Any]] = [{"items": expr(path_expr("payload", state.array))},
                                      {"results": expr("items")}]
        item_payload: Any = expr(ITEM)
        if state.common_params:
            init.append({"params": {p: expr(path_expr("payload", p))
                                    for p in state.common_params}})
            item_payload = {"array_element": expr(ITEM),
                            **{p: expr(f"params[{json.dumps(p)}]") for p in state.common_params}}
        iteration = [
            {call: {"call": body, "args": {"payload": item_payload,
                                           "request_id": expr("request_id")},
                    "result": "output", "next": place}},
            {place: {"assign": [{f"results[{INDEX}]": expr("output")}], "next": "continue"}},
        ]
        return [
            {state.name: {"assign": init, "next": items}},
            {items: {"parallel": {"shared": ["results"], "for": {
                "value": ITEM, "index": INDEX, "in": expr("items"), "steps": iteration}},
                "next": store}},
            {store: {"assign": [{path_expr("payload", state.result): expr("results")}],
                     "next": nxt}},
        ]

    def parallel_steps(self, state: Parallel, nxt: str, path: str,
                       helper: Callable[[str], str]) -> list[dict[str, Any]]:
        if len(state.branches) > MAX_BRANCHES:
            self.warnings.append(f"state {state.name!r}: {len(state.branches)} branches; Cloud "
                                 f"Workflows allows {MAX_BRANCHES} per parallel step")
        names = [f"branch_{i}" for i in range(len(state.branches))]
        run, join = helper("branches"), helper("join")
        branches = []
        for i, branch in enumerate(state.branches):
            sub = self.subworkflow(branch, f"{path}/{branch.root}", "branch")
            branches.append({f"{state.name}__{ident(branch.root)}": {"steps": [
                {f"{state.name}__{ident(branch.root)}__call": {
                    "call": sub, "args": {"payload": expr("payload"),
                                          "request_id": expr("request_id")},
                    "result": names[i]}}]}})
        return [
            {state.name: {"assign": [{n: None} for n in names], "next": run}},
            {run: {"parallel": {"shared": names, "branches": branches}, "next": join}},
            {join: {"assign": [{"payload": {b.root: expr(n)
                                            for b, n in zip(state.branches, names, strict=True)}}],
                    "next": nxt}},
        ]


def call_function_subworkflow(timeout: int = HTTP_TIMEOUT_MAX_S) -> dict[str, Any]:
    """The one place a function is called: envelope out, ``.body.payload`` back.

    The HTTP timeout must be a literal number (the Cloud Workflows schema), so each distinct
    per-call timeout gets its own copy (``call_function_<N>s``).
    """
    return {"params": ["url", "payload", "request_id"], "steps": [
        {"post": {"call": "http.post", "args": {
            "url": expr("url"), "timeout": timeout,
            "body": {"payload": expr("payload"), "request_id": expr("request_id")}},
            "result": "response", "next": "unwrap"}},
        {"unwrap": {"return": expr("response.body.payload")}},
    ]}


def emit_gcp_data(wf: Workflow, url_for: Callable[[str], str]) -> tuple[dict[str, Any],
                                                                           list[str]]:
    """The workflow as data (``main`` + subworkflows), and the warnings for the user."""
    emitter = _Emitter(url_for)
    steps = emitter.scope_steps(wf.scope, "")
    first = next(iter(steps[0]))
    init = "init"
    while any(init in s for s in steps):
        init += "_"
    main_steps = [{init: {"assign": [{"payload": expr("input")},
                                     {"request_id": expr(EXECUTION_ID)}],
                          "next": first}}, *steps]
    out: dict[str, Any] = {"main": {"params": ["input"], "steps": main_steps}}
    out.update(emitter.subworkflows)
    for helper, timeout in sorted(emitter.timeouts.items()):
        out[helper] = call_function_subworkflow(timeout)
    if emitter.uses_retry:
        out[RETRY_PREDICATE] = {"params": ["e"], "steps": [{"always": {"return": True}}]}
    if any(isinstance(s, Map) for s in _states(wf.scope)):
        emitter.warnings.append(f"map iterations run at most {MAX_CONCURRENCY} at a time on "
                                "Cloud Workflows (parallel step concurrency limit)")
    emitter.warnings.append("Cloud Workflows keeps variables up to 512 KB in total per "
                            "execution: payloads larger than that fail there")
    return out, emitter.warnings


def _states(scope: Scope) -> list[State]:
    out: list[State] = []
    for state in scope.states.values():
        out.append(state)
        if isinstance(state, Map):
            out.extend(_states(state.body))
        elif isinstance(state, Parallel):
            for branch in state.branches:
                out.extend(_states(branch))
    return out


class _Dumper(yaml.SafeDumper):
    """Block style, insertion order kept (steps read top to bottom as they run)."""


def dump_yaml(data: Any) -> str:
    return yaml.dump(data, Dumper=_Dumper, sort_keys=False, default_flow_style=False,
                     allow_unicode=True, width=100)


def emit_gcp(wf: Workflow, url_for: Callable[[str], str],
             warnings: list[str] | None = None) -> str:
    """The workflow as Cloud Workflows YAML; warnings are appended to ``warnings`` if given."""
    data, found = emit_gcp_data(wf, url_for)
    if warnings is not None:
        warnings.extend(found)
    header = (f"# Cloud Workflows translation of {doc_text(wf.source)} "
              "(xaas flow translate --to gcp)\n")
    return header + dump_yaml(data)
