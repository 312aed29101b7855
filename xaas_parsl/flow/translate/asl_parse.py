"""ASL (JSONPath mode) → model: what ``asl_emit`` writes plus hand-written forms of the same.

Accepted: ``Task`` calling Lambda (``arn:aws:states:::lambda:invoke`` with ``FunctionName``, or a
bare Lambda ARN), ``Map`` (``ItemProcessor``/``Iterator``, INLINE, ``ItemsPath``, an
``ItemSelector``/``Parameters`` of the SeBS item form, ``ResultPath``), ``Parallel`` whose
``ResultSelector`` keys branch outputs by branch root, ``Choice`` (comparators, optionally guarded
by ``IsNumeric``/``IsString``, ``Not`` of an equality for ``!=``), ``Pass`` without data fields
and ``Succeed`` (both vanish: their predecessors continue or end), ``Fail`` as a ``Catch`` target
(the failure is then unhandled, as without ``Catch``). A ``Map`` with ``MaxConcurrency: 1``,
``ResultPath: null`` and a one-task body is a loop. Metadata that ``asl_emit`` left in
``Comment`` (``xaas:{...}``) restores original names, repeats and loops.

Everything else (Wait, JSONata, data-flow fields that change what a state sees or returns,
distributed maps, ...) is rejected with one line naming the state, its line in the file and the
construct, because a silent approximation would run differently on AWS than locally.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from xaas_parsl.budget import parse_json
from xaas_parsl.errors import InputError
from xaas_parsl.flow.load import workflow_from_data
from xaas_parsl.flow.model import Workflow
from xaas_parsl.flow.translate.asl_emit import LAMBDA_INVOKE
from xaas_parsl.flow.translate.asl_shape import shape_error
from xaas_parsl.flow.translate.asl_syntax import (
    CHOICE_KEYS,
    MAP_KEYS,
    OPS,
    PARALLEL_KEYS,
    TASK_KEYS,
    Reject,
    line_of,
    meta_of,
    model_path,
    no_duplicates,
)


@dataclass
class _Parser:
    func_for: Callable[[str], str]
    warnings: list[str] = field(default_factory=list)

    def scope(self, machine: Any, where: str) -> dict[str, Any]:
        if not isinstance(machine, dict) or "StartAt" not in machine or "States" not in machine:
            raise Reject(where, "needs StartAt and States")
        states: dict[str, Any] = machine["States"]
        if not isinstance(states, dict) or not states:
            raise Reject(where, "States must be a non-empty object")
        for name, state in states.items():
            if not isinstance(state, dict) or "Type" not in state:
                raise Reject(name, "a state must be an object with Type")
        names = {n: str(meta_of(s).get("name", n)) for n, s in states.items()}
        parts = {n for n, s in states.items() if "repeat_of" in meta_of(s)}
        out: dict[str, Any] = {}
        for name, state in states.items():
            kind = state["Type"]
            if name in parts or kind in {"Pass", "Succeed", "Fail"}:
                if kind == "Pass":
                    self.check_pass(name, state)
                continue
            out[names[name]] = self.state(name, state, states, names)
        root = self.target(machine["StartAt"], states, names, where, "StartAt")
        if root is None:
            raise Reject(where, "StartAt leads to no state that calls a function")
        return {"root": root, "states": out}

    @staticmethod
    def check_pass(name: str, state: dict[str, Any]) -> None:
        extra = set(state) - {"Type", "Comment", "Next", "End"}
        if extra:
            raise Reject(name, f"Pass with {', '.join(sorted(extra))} changes the data, which "
                                "has no SeBS-Flow equivalent")

    def target(self, name: Any, states: dict[str, Any], names: dict[str, str], where: str,
               what: str) -> str | None:
        """The model state a transition reaches: through Pass chains; ``None`` = the end."""
        seen: set[str] = set()
        while True:
            if not isinstance(name, str) or name not in states:
                raise Reject(where, f"{what} target {name!r} is not a state of this scope")
            state = states[name]
            if state["Type"] == "Succeed":
                return None
            if state["Type"] == "Fail":
                raise Reject(where, f"{what} goes to Fail state {name!r}: an unconditional "
                                     "failure has no SeBS-Flow equivalent")
            if state["Type"] != "Pass":
                return names[name]
            if name in seen:
                raise Reject(where, f"Pass states loop at {name!r}")
            seen.add(name)
            if state.get("End") is True:
                return None
            name = state.get("Next")

    def follow(self, state: dict[str, Any], name: str, states: dict[str, Any],
               names: dict[str, str]) -> dict[str, Any]:
        if state.get("End") is True:
            return {}
        nxt = self.target(state.get("Next"), states, names, name, "Next")
        return {} if nxt is None else {"next": nxt}

    @staticmethod
    def allowed(name: str, state: dict[str, Any], keys: set[str]) -> None:
        extra = sorted(set(state) - keys)
        if extra:
            raise Reject(name, f"{state['Type']} field {extra[0]} is not supported")

    def call(self, name: str, state: dict[str, Any]) -> dict[str, Any]:
        """``func_name``, ``retry``, ``timeout_s`` of a Task (the data flow is checked too)."""
        self.allowed(name, state, TASK_KEYS)
        resource = state.get("Resource")
        if resource == LAMBDA_INVOKE:
            params = state.get("Parameters")
            if not isinstance(params, dict) or not isinstance(params.get("FunctionName"), str):
                raise Reject(name, "lambda:invoke Task needs Parameters.FunctionName")
            extra = sorted(set(params) - {"FunctionName", "Payload", "Payload.$"})
            if extra:
                raise Reject(name, f"Parameters field {extra[0]} is not supported")
            endpoint = params["FunctionName"]
            output = state.get("OutputPath")
            selector = state.get("ResultSelector")
            if not ((output == "$.Payload.payload" and selector is None) or (output == "$.payload"
                    and selector == {"payload.$": "$.Payload.payload"})):
                raise Reject(name, "a lambda:invoke Task must output the function's new "
                                    "payload (OutputPath $.Payload.payload)")
        elif isinstance(resource, str) and resource.startswith("arn:aws:lambda:"):
            endpoint = resource
            if "Parameters" in state or state.get("OutputPath", "$") not in {"$", "$.payload"}:
                raise Reject(name, "a Task calling a Lambda ARN directly may not reshape its "
                                    "input or output")
        else:
            raise Reject(name, f"Task Resource {resource!r} is not a Lambda function")
        for key in ("InputPath", "ResultPath"):
            if state.get(key, "$") != "$":
                raise Reject(name, f"{key} {state[key]!r}: a SeBS task's result replaces "
                                    "the payload")
        try:
            out: dict[str, Any] = {"func_name": self.func_for(endpoint)}
        except ValueError as exc:
            raise Reject(name, str(exc)) from None
        retry = state.get("Retry")
        if retry:
            first = retry[0]
            if len(retry) > 1 or "States.ALL" not in first.get("ErrorEquals", []):
                self.warnings.append(f"state {name!r}: Retry is applied to every error")
            out["retry"] = {"max_attempts": int(first.get("MaxAttempts", 3)) + 1,
                            "interval_s": float(first.get("IntervalSeconds", 1)),
                            "backoff_rate": float(first.get("BackoffRate", 2.0))}
        if "TimeoutSeconds" in state:
            out["timeout_s"] = float(state["TimeoutSeconds"])
        return out

    def state(self, name: str, state: dict[str, Any], states: dict[str, Any],
              names: dict[str, str]) -> dict[str, Any]:
        kind = state["Type"]
        if kind == "Task":
            return self.task(name, state, states, names)
        if kind == "Map":
            return self.map(name, state, states, names)
        if kind == "Parallel":
            return self.parallel(name, state, states, names)
        if kind == "Choice":
            return self.choice(name, state, states, names)
        raise Reject(name, f"state Type {kind!r} is not supported (Task, Map, Parallel, Choice, "
                            "Pass, Succeed, Fail are)")

    def task(self, name: str, state: dict[str, Any], states: dict[str, Any],
             names: dict[str, str]) -> dict[str, Any]:
        meta = meta_of(state)
        call = self.call(name, state)
        if "repeat" in meta:
            count, last = int(meta["repeat"]), state
            for _ in range(count - 1):
                nxt = last.get("Next")
                if not isinstance(nxt, str) or "repeat_of" not in meta_of(states.get(nxt, {})):
                    raise Reject(name, f"repeat chain of {count} tasks is broken at {nxt!r}")
                last = states[nxt]
                if self.call(nxt, last) != call:
                    raise Reject(nxt, "a repeat's tasks must all call the same function")
            return {"type": "repeat", **call, "count": count,
                    **self.follow(last, name, states, names)}
        out = {"type": "task", **call, **self.follow(state, name, states, names)}
        catch = state.get("Catch")
        if catch:
            if len(catch) > 1 or "States.ALL" not in catch[0].get("ErrorEquals", []):
                raise Reject(name, "Catch must be one catcher on States.ALL (SeBS's failure "
                                    "handles every error)")
            target = catch[0].get("Next")
            if states.get(target, {}).get("Type") == "Fail":
                return out  # the failure stays unhandled, as without Catch
            if catch[0].get("ResultPath", "$") is not None:
                self.warnings.append(f"state {name!r}: Catch ResultPath dropped: the failure "
                                     "target receives the failed task's input unchanged")
            failure = self.target(target, states, names, name, "Catch")
            if failure is None:
                raise Reject(name, "Catch leads to the end: SeBS-Flow's failure needs a state")
            out["failure"] = failure
        return out

    def map(self, name: str, state: dict[str, Any], states: dict[str, Any],
            names: dict[str, str]) -> dict[str, Any]:
        self.allowed(name, state, MAP_KEYS)
        for key in ("InputPath", "OutputPath"):
            if state.get(key, "$") != "$":
                raise Reject(name, f"Map {key} {state[key]!r} is not supported")
        processor = state.get("ItemProcessor", state.get("Iterator"))
        config = (processor or {}).get("ProcessorConfig", {})
        if config.get("Mode", "INLINE") != "INLINE":
            raise Reject(name, f"Map ProcessorConfig Mode {config.get('Mode')!r} is not "
                                "supported (INLINE is)")
        array = model_path(state.get("ItemsPath"), name, "ItemsPath")
        selector = state.get("ItemSelector", state.get("Parameters"))
        params = self.item_selector(name, selector) if selector is not None else []
        result = state.get("ResultPath", "$")
        nxt = self.follow(state, name, states, names)
        body = {k: v for k, v in (processor or {}).items() if k != "ProcessorConfig"}
        if result is None:
            inner = body.get("States", {})
            if state.get("MaxConcurrency") != 1 or params or len(inner) != 1:
                raise Reject(name, "Map with ResultPath null is only supported as a loop "
                                    "(MaxConcurrency 1, one Task, no ItemSelector)")
            [(inner_name, inner_state)] = inner.items()
            if inner_state.get("Type") != "Task" or "Catch" in inner_state:
                raise Reject(inner_name, "a loop's body must be one Task without Catch")
            return {"type": "loop", **self.call(inner_name, inner_state), "array": array,
                    **nxt}
        if result == "$":
            raise Reject(name, "Map without ResultPath replaces the payload with the list of "
                                "results; SeBS writes it to a path (ResultPath: $.<array>)")
        out: dict[str, Any] = {"type": "map", "array": array, **self.scope(body, name)}
        path = model_path(result, name, "ResultPath")
        if path != array:
            out["result"] = path
        if params:
            out["common_params"] = params
        return {**out, **nxt}

    @staticmethod
    def item_selector(name: str, selector: Any) -> list[str]:
        if not isinstance(selector, dict) or selector.get("array_element.$") != \
                "$$.Map.Item.Value":
            raise Reject(name, "ItemSelector must build {array_element.$: $$.Map.Item.Value, "
                                "<param>.$: $.<param>} (SeBS's common_params)")
        params = []
        for key, value in selector.items():
            if key == "array_element.$":
                continue
            param = key.removesuffix(".$")
            if not key.endswith(".$") or model_path(value, name, "ItemSelector value") != param:
                raise Reject(name, f"ItemSelector entry {key!r}: {value!r} is not a common "
                                    "parameter (<param>.$: $.<param>)")
            params.append(param)
        return params

    def parallel(self, name: str, state: dict[str, Any], states: dict[str, Any],
                 names: dict[str, str]) -> dict[str, Any]:
        self.allowed(name, state, PARALLEL_KEYS)
        branches = [self.scope(b, name) for b in state.get("Branches", [])]
        selector = state.get("ResultSelector")
        if not isinstance(selector, dict):
            selector = {}
        keys = {v: k.removesuffix(".$") for k, v in selector.items() if k.endswith(".$")}
        if len(keys) != len(branches) or len(selector) != len(branches) or any(
                f"$[{i}]" not in keys for i in range(len(branches))):
            raise Reject(name, "Parallel must key branch outputs by branch root: ResultSelector "
                                "{\"<root>.$\": \"$[<i>]\", ...} for every branch")
        for i, branch in enumerate(branches):
            key = keys[f"$[{i}]"]
            if branch["root"] != key:  # the output key names the root (lost renames)
                if key in branch["states"]:
                    raise Reject(name, f"ResultSelector key {key!r} names another state of "
                                        f"branch {i}")
                branch["states"] = {key if n == branch["root"] else n: s
                                    for n, s in branch["states"].items()}
                branch["root"] = key
        return {"type": "parallel", "parallel_functions": branches,
                **self.follow(state, name, states, names)}

    def choice(self, name: str, state: dict[str, Any], states: dict[str, Any],
               names: dict[str, str]) -> dict[str, Any]:
        self.allowed(name, state, CHOICE_KEYS)
        if "Default" not in state:
            raise Reject(name, "Choice needs Default (SeBS's switch always has one)")
        cases = []
        for rule in state.get("Choices", []):
            var, op, val = self.rule(name, {k: v for k, v in rule.items() if k != "Next"})
            nxt = self.target(rule.get("Next"), states, names, name, "Choice Next")
            if nxt is None:
                raise Reject(name, "a Choice rule leading to the end has no SeBS equivalent")
            cases.append({"var": var, "op": op, "val": val, "next": nxt})
        default = self.target(state["Default"], states, names, name, "Default")
        if default is None:
            raise Reject(name, "a Default leading to the end has no SeBS equivalent")
        return {"type": "switch", "cases": cases, "default": default}

    def rule(self, name: str, rule: dict[str, Any]) -> tuple[str, str, Any]:
        if "And" in rule and len(rule) == 1 and len(rule["And"]) == 2:
            guard, compare = rule["And"]
            kind = "Numeric" if guard.get("IsNumeric") is True else \
                "String" if guard.get("IsString") is True else None
            var, op, val = self.rule(name, compare)
            if kind is None or guard.get("Variable") != compare.get(
                    "Variable", compare.get("Not", {}).get("Variable")):
                raise Reject(name, "And in a Choice rule is only supported as a type guard")
            return var, op, val
        if "Not" in rule and len(rule) == 1:
            var, op, val = self.rule(name, rule["Not"])
            if op != "==":
                raise Reject(name, "Not in a Choice rule is only supported around Equals")
            return var, "!=", val
        comparators = [k for k in rule if k != "Variable"]
        if len(comparators) == 1 and "Variable" in rule:
            key = comparators[0]
            for kind in ("Numeric", "String"):
                if key.startswith(kind) and key[len(kind):] in OPS:
                    val = rule[key]
                    if (kind == "Numeric") != (isinstance(val, int | float)
                                               and not isinstance(val, bool)):
                        raise Reject(name, f"{key} with value {val!r} of the wrong type")
                    return model_path(rule["Variable"], name, "Variable"), \
                        OPS[key[len(kind):]], val
        raise Reject(name, f"Choice rule {json.dumps(rule)} is not supported (Numeric*/String* "
                            "comparisons, optionally type-guarded, Not of Equals)")


def parse_asl(text: str, path: str, func_for: Callable[[str], str],
              warnings: list[str] | None = None) -> Workflow:
    """ASL JSON text → checked ``Workflow``; ``InputError`` naming state and line otherwise."""
    try:
        machine = parse_json(text, path, object_pairs_hook=no_duplicates)
    except json.JSONDecodeError as exc:
        raise InputError(f"invalid ASL JSON at line {exc.lineno} column {exc.colno}: "
                         f"{exc.msg}", path) from None
    except Reject as exc:
        line = line_of(text, exc.state)
        raise InputError(f"{exc.message}{f' (line {line})' if line else ''}", path) from None
    if not isinstance(machine, dict):
        raise InputError("an ASL state machine must be a JSON object", path)
    if machine.get("QueryLanguage", "JSONPath") != "JSONPath":
        raise InputError(f"QueryLanguage {machine['QueryLanguage']!r} is not supported "
                         "(JSONPath is)", path)
    shape = shape_error(machine)
    if shape is not None:
        state, message = shape
        line = line_of(text, state)
        raise InputError(f"state {state!r}{f' (line {line})' if line else ''}: {message}",
                         path)
    parser = _Parser(func_for)
    try:
        data = parser.scope(machine, "<top level>")
    except Reject as exc:
        line = line_of(text, exc.state)
        where = f" (line {line})" if line else ""
        raise InputError(f"state {exc.state!r}{where}: {exc.message}", path) from None
    if warnings is not None:
        warnings.extend(parser.warnings)
    return workflow_from_data(data, path)
