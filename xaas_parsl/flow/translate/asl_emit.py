"""Model → AWS Step Functions ASL (JSONPath mode), with the semantics of docs/flow.md §2.

State data *is* the payload: every state's input and output is the workflow payload itself, so
the execution input is the initial payload and the execution output is the final payload, as
``xaas flow run`` prints it. A task calls ``arn:aws:states:::lambda:invoke`` with the envelope
``{"payload.$": "$", "request_id.$": "$$.Execution.Name"}`` and keeps only
``Payload.payload`` of the answer (``OutputPath``), so the function's new payload replaces the
state data. Decisions, each against a bug of SeBS's generator (reference README §2.4):

- ``failure`` → ``Catch`` on ``States.ALL`` with ``ResultPath: null``: the handler receives the
  failed task's input unchanged (SeBS wrote the error into ``$.payload.error``).
- map → ``Map`` with ``ItemProcessor`` (INLINE) and, with ``common_params``, an ``ItemSelector``
  building ``{"array_element": item, "<param as written>": value}``; results go to
  ``ResultPath: $.<result>``, every body state keeps its default ``ResultPath`` (SeBS dropped it
  in every body state, breaking multi-state bodies).
- parallel → ``Parallel`` whose ``ResultSelector`` keys the branch outputs by branch root
  (``$[i]``); a branch whose root is a map returns the payload with the list written back.
- switch → ``Choice`` on ``$.<var>`` (dot-joined; SeBS wrote ``$.payloada.b``), each rule guarded by
  ``IsNumeric``/``IsString`` so values of another type never match, for ``!=`` too (model rule).
- loop → ``Map`` with ``MaxConcurrency: 1`` and ``ResultPath: null`` (results discarded; no random
  result key); repeat → a chain of ``count`` tasks. Their original form is kept as metadata in
  ``Comment`` (``xaas:{...}``) so ``asl_parse`` restores them.
- State names are unique across the whole machine, as ASL requires: a nested name that repeats
  an outer one is renamed (``name_2``) and the original kept in ``Comment``.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from xaas_parsl.errors import InputError
from xaas_parsl.flow.model import (
    NO_RETRY,
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

LAMBDA_INVOKE = "arn:aws:states:::lambda:invoke"
META = "xaas:"
REQUEST_ID = "$$.Execution.Name"
_IDENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_NAME = re.compile(r"^[^\W\d]\w*$")  # a letter or "_", then letters, digits, "_" (Unicode)
_COMPARATORS = {
    ("num", "<"): "NumericLessThan", ("num", "<="): "NumericLessThanEquals",
    ("num", "=="): "NumericEquals", ("num", ">="): "NumericGreaterThanEquals",
    ("num", ">"): "NumericGreaterThan", ("num", "!="): "NumericEquals",
    ("str", "<"): "StringLessThan", ("str", "<="): "StringLessThanEquals",
    ("str", "=="): "StringEquals", ("str", ">="): "StringGreaterThanEquals",
    ("str", ">"): "StringGreaterThan", ("str", "!="): "StringEquals",
}


def jsonpath(path: str) -> str:
    """A dotted model path (``a.b``, digit segments index lists) as a JSONPath."""
    out = "$"
    for segment in path.split("."):
        if segment.isdigit():
            out += f"[{segment}]"
        elif _IDENT.match(segment):
            out += f".{segment}"
        else:
            out += "['" + segment.replace("\\", "\\\\").replace("'", "\\'") + "']"
    return out


def meta_comment(meta: dict[str, Any]) -> str:
    return META + json.dumps(meta, separators=(",", ":"), sort_keys=True)


@dataclass
class _Emitter:
    function_for: Callable[[str], str]
    source: str = "<definition>"
    warnings: list[str] = field(default_factory=list)
    taken: set[str] = field(default_factory=set)

    def unique(self, name: str) -> str:
        """``name``, or ``name_<k>`` when the machine already has a state called so."""
        candidate, k = name, 1
        while candidate in self.taken or len(candidate) > 80:
            k += 1
            candidate = f"{name[:70]}_{k}"
        self.taken.add(candidate)
        return candidate

    def path(self, path: str, where: str) -> str:
        """``jsonpath(path)``, warning about names outside ASL's reference-path grammar."""
        odd = [s for s in path.split(".") if not s.isdigit() and not _NAME.match(s)]
        if odd:
            self.warnings.append(
                f"state {where!r}: path {path!r} has name(s) {', '.join(map(repr, odd))} with "
                "characters ASL's reference-path grammar does not allow (statelint rejects "
                "them; Step Functions may too): rename the payload key")
        return jsonpath(path)

    def seconds(self, value: float, what: str, where: str) -> int:
        whole = max(1, math.ceil(value))
        if whole != value:
            self.warnings.append(f"state {where!r}: {what} {value:g} s rounded to {whole} s "
                                 "(ASL takes whole seconds >= 1)")
        return whole

    def task(self, call: Call, where: str) -> dict[str, Any]:
        """A lambda:invoke Task whose output is the function's new payload (no Next/End)."""
        state: dict[str, Any] = {
            "Type": "Task",
            "Resource": LAMBDA_INVOKE,
            "Parameters": {
                "FunctionName": self.function_for(call.func_name),
                "Payload": {"payload.$": "$", "request_id.$": REQUEST_ID},
            },
            "OutputPath": "$.Payload.payload",
        }
        if call.timeout_s is not None:
            state["TimeoutSeconds"] = self.seconds(call.timeout_s, "timeout", where)
        if call.retry != NO_RETRY and call.retry.max_attempts > 1:
            state["Retry"] = [{
                "ErrorEquals": ["States.ALL"],
                "MaxAttempts": call.retry.max_attempts - 1,
                "IntervalSeconds": self.seconds(call.retry.interval_s, "retry interval", where),
                "BackoffRate": call.retry.backoff_rate,
            }]
        return state

    def machine(self, scope: Scope) -> dict[str, Any]:
        """``{StartAt, States}`` for one scope; names are made unique first, then states."""
        names = {name: self.unique(name) for name in scope.states}
        states: dict[str, Any] = {}
        for state in scope.states.values():
            self.state(state, names, states)
        return {"StartAt": names[scope.root], "States": states}

    def state(self, state: State, names: dict[str, str], out: dict[str, Any]) -> None:
        asl_name = names[state.name]
        meta: dict[str, Any] = {} if asl_name == state.name else {"name": state.name}
        if isinstance(state, Task):
            body = self.task(state.call, state.name)
            if state.failure is not None:
                body["Catch"] = [{"ErrorEquals": ["States.ALL"], "ResultPath": None,
                                  "Next": names[state.failure]}]
        elif isinstance(state, Repeat):
            self.repeat(state, names, out, meta)
            return
        elif isinstance(state, Loop):
            body = self.loop(state)
            meta["loop"] = True
        elif isinstance(state, Switch):
            out[asl_name] = self.choice(state, names, meta)
            return
        elif isinstance(state, Map):
            body = self.map(state)
        else:
            body = self.parallel(state)
        if meta:
            body = {"Comment": meta_comment(meta), **body}
        out[asl_name] = self.link(body, state.next, names)

    @staticmethod
    def link(body: dict[str, Any], nxt: str | None, names: dict[str, str]) -> dict[str, Any]:
        if nxt is None:
            body["End"] = True
        else:
            body["Next"] = names[nxt]
        return body

    def repeat(self, state: Repeat, names: dict[str, str], out: dict[str, Any],
               meta: dict[str, Any]) -> None:
        """``count`` chained tasks; the first carries ``{"repeat": count}`` (and the name)."""
        chain = [names[state.name]] + [self.unique(f"{state.name}_{i}")
                                       for i in range(2, state.count + 1)]
        for i, asl_name in enumerate(chain):
            body = self.task(state.call, state.name)
            part = {**meta, "repeat": state.count} if i == 0 else {"repeat_of": chain[0]}
            body = {"Comment": meta_comment(part), **body}
            if i + 1 < len(chain):
                body["Next"] = chain[i + 1]
                out[asl_name] = body
            else:
                out[asl_name] = self.link(body, state.next, names)
        if state.count > 50:
            self.warnings.append(f"state {state.name!r}: repeat count {state.count} becomes "
                                 f"{state.count} Task states (one per call)")

    def loop(self, state: Loop) -> dict[str, Any]:
        inner = self.unique(f"{state.name}_call")
        return {
            "Type": "Map",
            "ItemsPath": self.path(state.array, state.name),
            "MaxConcurrency": 1,
            "ItemProcessor": {"ProcessorConfig": {"Mode": "INLINE"}, "StartAt": inner,
                              "States": {inner: {**self.task(state.call, state.name),
                                                 "End": True}}},
            "ResultPath": None,
        }

    def map(self, state: Map) -> dict[str, Any]:
        body: dict[str, Any] = {"Type": "Map", "ItemsPath": self.path(state.array, state.name)}
        if state.common_params:
            selector = {"array_element.$": "$$.Map.Item.Value"}
            for param in state.common_params:
                selector[f"{param}.$"] = self.path(param, state.name)
            body["ItemSelector"] = selector
        body["ItemProcessor"] = {"ProcessorConfig": {"Mode": "INLINE"},
                                 **self.machine(state.body)}
        odd = [s for s in state.result.split(".") if not s.isdigit() and not _NAME.match(s)]
        if odd:
            raise InputError(f"state {state.name!r}: the map writes its results to "
                             f"{state.result!r}, but {', '.join(map(repr, odd))} cannot be part "
                             "of an ASL ResultPath (names of letters, digits and _ only; "
                             "statelint and aws-local-stepfunctions reject the bracket form): "
                             "set the map's result to such a path", self.source)
        body["ResultPath"] = jsonpath(state.result)
        return body

    def parallel(self, state: Parallel) -> dict[str, Any]:
        return {
            "Type": "Parallel",
            "Branches": [self.machine(branch) for branch in state.branches],
            "ResultSelector": {f"{b.root}.$": f"$[{i}]" for i, b in enumerate(state.branches)},
        }

    def choice(self, state: Switch, names: dict[str, str],
               meta: dict[str, Any]) -> dict[str, Any]:
        body: dict[str, Any] = {"Comment": meta_comment(meta)} if meta else {}
        body["Type"] = "Choice"
        for case in state.cases:
            self.path(case.var, state.name)
        body["Choices"] = [{**rule(case), "Next": names[case.next]} for case in state.cases]
        body["Default"] = names[state.default]
        return body


def rule(case: Case) -> dict[str, Any]:
    """One switch case as a type-guarded ASL choice rule (without ``Next``)."""
    kind = "num" if isinstance(case.val, int | float) and not isinstance(case.val, bool) \
        else "str"
    variable = jsonpath(case.var)
    guard = {"Variable": variable, "IsNumeric" if kind == "num" else "IsString": True}
    compare: dict[str, Any] = {"Variable": variable, _COMPARATORS[(kind, case.op)]: case.val}
    if case.op == "!=":
        compare = {"Not": compare}
    return {"And": [guard, compare]}


def emit_asl_data(wf: Workflow, function_for: Callable[[str], str]) -> tuple[dict[str, Any],
                                                                             list[str]]:
    """The state machine as data, and the warnings for the user."""
    emitter = _Emitter(function_for, wf.source)
    machine = {"Comment": f"Translated by xaas-parsl from {wf.source}",
               **emitter.machine(wf.scope)}
    return machine, emitter.warnings


def emit_asl(wf: Workflow, function_for: Callable[[str], str]) -> str:
    """ASL JSON text (two-space indent, trailing newline)."""
    machine, _ = emit_asl_data(wf, function_for)
    return json.dumps(machine, indent=2) + "\n"
