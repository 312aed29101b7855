"""Google Cloud Workflows YAML → model, over the forms ``gcp_emit`` writes and their hand-written
equivalents; anything else is rejected with the step, the construct and the line.

Recognised (``P`` is the payload variable, ``payload`` in our output):

- task: ``call: <caller>`` (a subworkflow that posts ``{payload, request_id}`` with
  ``http.post`` and returns ``.body.payload``) with a literal ``url`` and ``result: P``; or the
  hand-written pair ``call: http.post`` (``body: {payload: ${P}, ...}``, ``result: r``) followed
  by ``assign: [P: ${r.body.payload}]``. Wrapped in ``try`` with ``except`` whose first step
  jumps (``next``) elsewhere: a task with ``failure``; with ``retry``: the task's retry policy;
- repeat: ``for: {range: [1, N]}`` around one call whose result is P; loop: ``for: {in:
  ${P...}}`` around one call without result;
- switch: ``switch`` conditions ``${P.a.b <op> <literal>}`` (or our typed form), ``next`` is
  ``default``;
- map: ``assign: [items: ${P...}, ...]`` → ``parallel: for`` over the items calling a
  subworkflow (the body) or, for a one-task body, the function-calling subworkflow directly →
  ``assign: [P...: ${results}]``;
- parallel: ``assign`` of the branch variables → ``parallel: branches`` each calling a
  subworkflow (a scope, or the function-calling one for a one-task branch) into one variable →
  ``assign: [P: {root: ${var}, ...}]``;
- ``return: ${P}`` ends a scope.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import yaml

from xaas_parsl.budget import MAX_DEPTH, BudgetError, check_yaml_text
from xaas_parsl.errors import InputError
from xaas_parsl.flow.load import workflow_from_data
from xaas_parsl.flow.model import Workflow
from xaas_parsl.flow.translate.gcp_syntax import (
    Composer,
    Reject,
    expr_code,
    model_path,
    retry_policy,
    switch_case,
)


@dataclass
class _Parser:
    data: dict[str, Any]
    lines: dict[int, int]
    func_for_url: Callable[[str], str]
    payload: str = "payload"
    callers: set[str] = field(default_factory=set)
    warnings: list[str] = field(default_factory=list)

    def line(self, obj: Any) -> int | None:
        return self.lines.get(id(obj))

    # -- helpers ----------------------------------------------------------------------------
    def find_callers(self) -> None:
        """Subworkflows that post the envelope and return ``.body.payload``."""
        for name, sub in self.data.items():
            if name == "main" or not isinstance(sub, dict):
                continue
            steps = sub.get("steps") or []
            bodies = [next(iter(s.values())) for s in steps if isinstance(s, dict) and s]
            if len(bodies) == 2 and bodies[0].get("call") == "http.post" \
                    and "return" in bodies[1]:
                result = bodies[0].get("result")
                if expr_code(bodies[1]["return"]) == f"{result}.body.payload":
                    self.callers.add(name)

    def func(self, url: Any, step: str, line: int | None) -> str:
        if not isinstance(url, str) or expr_code(url) is not None:
            raise Reject(step, line, "the function URL must be a literal string")
        try:
            return self.func_for_url(url)
        except (InputError, KeyError, ValueError) as exc:
            raise Reject(step, line, f"unknown function endpoint {url!r} ({exc})") from None

    def call_of(self, body: dict[str, Any], step: str, want_result: bool | None,
                payload_expr: str | None = None) -> tuple[str, dict[str, Any] | None]:
        """``(func_name, None)`` for a caller call; the hand-written ``http.post`` form returns
        ``(func_name, body)`` so the caller can check the following unwrap step."""
        line = self.line(body)
        target, args = body.get("call"), body.get("args") or {}
        expected = payload_expr or self.payload
        if target in self.callers:
            if expr_code(args.get("payload")) != expected:
                raise Reject(step, line, f"the call must pass ${{{expected}}} as payload")
            self.check_result(body, step, line, want_result)
            return self.func(args.get("url"), step, line), None
        if target == "http.post":
            sent = (args.get("body") or {}) if isinstance(args.get("body"), dict) else {}
            if expr_code(sent.get("payload")) != expected or "request_id" not in sent:
                raise Reject(step, line, "http.post must send {payload: ${" + expected +
                              "}, request_id: ...} as body")
            return self.func(args.get("url"), step, line), body
        raise Reject(step, line, f"unsupported call {target!r} (functions are called with "
                      "http.post or a subworkflow wrapping it)")

    def check_result(self, body: dict[str, Any], step: str, line: int | None,
                     want: bool | None) -> None:
        if want is True and body.get("result") != self.payload:
            raise Reject(step, line, f"the call's result must be {self.payload!r}")
        if want is False and "result" in body:
            raise Reject(step, line, "a loop's call keeps no result")

    # -- scopes -----------------------------------------------------------------------------
    def scope(self, steps: list[Any], where: str) -> dict[str, Any]:
        if not isinstance(steps, list) or not steps:
            raise Reject(where, None, "expected a non-empty steps list")
        named: dict[str, dict[str, Any]] = {}
        order: list[str] = []
        for item in steps:
            if not isinstance(item, dict) or len(item) != 1:
                raise Reject(where, self.line(item), "a step is a mapping with one name")
            (name, body), = item.items()
            if not isinstance(body, dict):
                raise Reject(str(name), self.line(item), "a step body must be a mapping")
            named[str(name)] = body
            order.append(str(name))
        returns = {n for n, b in named.items()
                   if "return" in b and expr_code(b["return"]) == self.payload}
        states: dict[str, Any] = {}
        consumed: set[str] = set(returns)

        def target(name: str, body: dict[str, Any], field_: str = "next") -> str | None:
            nxt = body.get(field_)
            if nxt is None:
                raise Reject(name, self.line(body), f"no explicit {field_!r}")
            if nxt in returns or nxt == "end":
                return None
            if nxt not in named:
                raise Reject(name, self.line(body), f"next target {nxt!r} is not a step of "
                              "this scope")
            return str(nxt)

        for name in order:
            if name in consumed:
                continue
            body = named[name]
            state, used = self.state(name, body, named, target)
            consumed |= used
            states[name] = state
        first = next(n for n in order if n not in returns)
        for name, state in states.items():  # helpers' names must not be jump targets
            for key in ("next", "failure", "default"):
                if state.get(key) is not None and state[key] not in states:
                    raise Reject(name, self.line(named[name]),
                                  f"{key} target {state[key]!r} is part of another construct")
        return {"root": first, "states": states}

    def state(self, name: str, body: dict[str, Any], named: dict[str, dict[str, Any]],
              target: Callable[..., str | None]) -> tuple[dict[str, Any], set[str]]:
        line = self.line(body)
        if "call" in body:
            func, post = self.call_of(body, name, True)
            if post is None:
                return self.with_next({"type": "task", "func_name": func},
                                      target(name, body)), set()
            return self.unwrapped(name, func, post, named, target)
        if "try" in body:
            return self.tried(name, body, named, target), set()
        if "for" in body:
            return self.loop(name, body, target), set()
        if "switch" in body:
            return self.switch(name, body, target), set()
        if "assign" in body:
            return self.fan_out(name, body, named, target)
        construct = next(iter(body), "empty step")
        raise Reject(name, line, f"unsupported construct {construct!r}")

    @staticmethod
    def with_next(state: dict[str, Any], nxt: str | None) -> dict[str, Any]:
        if nxt is not None:
            state["next"] = nxt
        return state

    def unwrapped(self, name: str, func: str, post: dict[str, Any],
                  named: dict[str, dict[str, Any]],
                  target: Callable[..., str | None]) -> tuple[dict[str, Any], set[str]]:
        """The hand-written two-step task: ``http.post`` then ``P: ${r.body.payload}``."""
        result, unwrap = post.get("result"), post.get("next")
        body = named.get(str(unwrap)) if unwrap else None
        assign = body.get("assign") if body else None
        if not result or not isinstance(assign, list) or len(assign) != 1 \
                or expr_code(assign[0].get(self.payload)) != f"{result}.body.payload":
            raise Reject(name, self.line(post), f"http.post must be followed (next) by a step "
                          f"assigning {self.payload}: ${{{result}.body.payload}}")
        assert body is not None
        return self.with_next({"type": "task", "func_name": func},
                              target(str(unwrap), body)), {str(unwrap)}

    def tried(self, name: str, body: dict[str, Any], named: dict[str, dict[str, Any]],
              target: Callable[..., str | None]) -> dict[str, Any]:
        line = self.line(body)
        inner = body["try"]
        if not isinstance(inner, dict) or "call" not in inner:
            raise Reject(name, line, "try must wrap one function call")
        func, post = self.call_of(inner, name, True)
        if post is not None:
            raise Reject(name, line, "inside try, call the function through a subworkflow "
                          "(result: payload)")
        state: dict[str, Any] = {"type": "task", "func_name": func}
        if "retry" in body:
            state["retry"] = retry_policy(name, body["retry"], line)
        if "except" in body:
            handler = body["except"].get("steps") if isinstance(body["except"], dict) else None
            first = next(iter(handler[0].values())) if isinstance(handler, list) and handler \
                and isinstance(handler[0], dict) else None
            if not isinstance(first, dict) or set(first) != {"next"}:
                raise Reject(name, line, "except must jump (next) to the failure state")
            state["failure"] = target(name, first)
        return self.with_next(state, target(name, body))

    def loop(self, name: str, body: dict[str, Any],
             target: Callable[..., str | None]) -> dict[str, Any]:
        line, spec = self.line(body), body["for"]
        steps = spec.get("steps") if isinstance(spec, dict) else None
        if not isinstance(steps, list) or len(steps) != 1:
            raise Reject(name, line, "a for loop must hold exactly one call step")
        (inner_name, inner), = steps[0].items()
        value = spec.get("value")
        if "range" in spec:
            bounds = spec["range"]
            if not (isinstance(bounds, list) and len(bounds) == 2 and bounds[0] == 1
                    and isinstance(bounds[1], int)):
                raise Reject(name, line, "repeat is for: {range: [1, N]}")
            func, _ = self.call_of(inner, str(inner_name), True)
            return self.with_next({"type": "repeat", "func_name": func, "count": bounds[1]},
                                  target(name, body))
        array = model_path(expr_code(spec.get("in")) or "", self.payload)
        if array is None or not value:
            raise Reject(name, line, f"a loop iterates over a path of {self.payload}")
        func, _ = self.call_of(inner, str(inner_name), False, payload_expr=str(value))
        return self.with_next({"type": "loop", "func_name": func, "array": array},
                              target(name, body))

    def switch(self, name: str, body: dict[str, Any],
               target: Callable[..., str | None]) -> dict[str, Any]:
        line, cases = self.line(body), []
        for case in body["switch"]:
            if not isinstance(case, dict) or set(case) != {"condition", "next"}:
                raise Reject(name, self.line(case) or line,
                              "each switch case is {condition, next}")
            var, op, val = switch_case(name, case["condition"], self.line(case) or line,
                                       self.payload)
            nxt = target(name, case)
            if nxt is None:
                raise Reject(name, line, "a switch case cannot end the scope")
            cases.append({"var": var, "op": op, "val": val, "next": nxt})
        default = target(name, body)
        if default is None:
            raise Reject(name, line, "a switch needs a next step as its default")
        return {"type": "switch", "cases": cases, "default": default}

    def fan_out(self, name: str, body: dict[str, Any], named: dict[str, dict[str, Any]],
                target: Callable[..., str | None]) -> tuple[dict[str, Any], set[str]]:
        """map or parallel: init assign → parallel step → store/join assign."""
        line = self.line(body)
        run_name = body.get("next")
        run = named.get(str(run_name)) if run_name else None
        if run is None or "parallel" not in run:
            raise Reject(name, line, "unsupported construct 'assign' (only the set-up step "
                          "of a map or parallel is recognised)")
        par = run["parallel"]
        store_name = run.get("next")
        store = named.get(str(store_name)) if store_name else None
        if store is None or not isinstance(store.get("assign"), list) \
                or len(store["assign"]) != 1:
            raise Reject(str(run_name), self.line(run), "a parallel step must be followed "
                          "(next) by one assignment of its results")
        (key, value), = store["assign"][0].items()
        used = {str(run_name), str(store_name)}
        nxt = target(str(store_name), store)
        if "for" in par:
            return self.with_next(self.map_state(name, body, par, key, value, line), nxt), used
        if "branches" in par:
            return self.with_next(self.parallel_state(name, par, key, value, line), nxt), used
        raise Reject(str(run_name), self.line(run), "parallel needs for or branches")

    def map_state(self, name: str, body: dict[str, Any], par: dict[str, Any], key: str,
                  value: Any, line: int | None) -> dict[str, Any]:
        init = {k: v for a in body["assign"] for k, v in a.items()}
        array = model_path(expr_code(init.get("items")) or "", self.payload)
        result = model_path(key, self.payload)
        if array is None or result is None or expr_code(value) != "results":
            raise Reject(name, line, "a map assigns items from a payload path and stores "
                          "${results} at a payload path")
        spec = par["for"]
        steps = spec.get("steps") or []
        call = next(iter(steps[0].values())) if steps and isinstance(steps[0], dict) else {}
        sub = call.get("call")
        if sub not in self.data or sub == "main":
            raise Reject(name, line, "a map iteration calls the body's subworkflow or the "
                         "function-calling subworkflow")
        sent = (call.get("args") or {}).get("payload")
        params: list[str] = []
        if isinstance(sent, dict):
            params = [p for p in sent if p != "array_element"]
        elif expr_code(sent) != spec.get("value"):
            raise Reject(name, line, "the map body receives the item")
        if sub in self.callers:  # hand-written: the function called inline, one-task body
            root = str(next(iter(steps[0])))
            func = self.func((call.get("args") or {}).get("url"), root, self.line(call))
            body_scope: dict[str, Any] = {"root": root, "states": {root: {
                "type": "task", "func_name": func}}}
        else:
            body_scope = self.scope(self.data[sub]["steps"], str(sub))
        state: dict[str, Any] = {"type": "map", "array": array, **body_scope}
        if params:
            state["common_params"] = params
        if result != array:
            state["result"] = result
        return state

    def parallel_state(self, name: str, par: dict[str, Any], key: str, value: Any,
                       line: int | None) -> dict[str, Any]:
        if key != self.payload or not isinstance(value, dict):
            raise Reject(name, line, f"a parallel joins into {self.payload}: {{root: ${{var}}}}")
        by_var = {expr_code(v): root for root, v in value.items()}
        branches = []
        for branch in par["branches"]:
            (_, spec), = branch.items()
            steps = spec.get("steps") or []
            call = next(iter(steps[0].values())) if len(steps) == 1 else {}
            sub, var = call.get("call"), call.get("result")
            if sub not in self.data or var not in by_var:
                raise Reject(name, line, "each branch calls one subworkflow into a variable "
                              "of the join")
            if sub in self.callers:  # hand-written: one function call as the whole branch
                if expr_code((call.get("args") or {}).get("payload")) != self.payload:
                    raise Reject(name, line, f"a branch's call passes ${{{self.payload}}}")
                root = by_var[var]
                func = self.func((call.get("args") or {}).get("url"), root, self.line(call))
                branches.append({"root": root, "states": {root: {"type": "task",
                                                                 "func_name": func}}})
                continue
            scope = self.scope(self.data[sub]["steps"], str(sub))
            if scope["root"] != by_var[var]:
                raise Reject(name, line, f"branch result {var!r} is joined as "
                              f"{by_var[var]!r} but the branch's root is {scope['root']!r}")
            branches.append(scope)
        return {"type": "parallel", "parallel_functions": branches}


def parse_gcp(text: str, path: str, func_for_url: Callable[[str], str],
              warnings: list[str] | None = None) -> Workflow:
    """A Cloud Workflows definition as a checked ``Workflow``; ``InputError`` names the step,
    the construct and the line of anything outside the recognised forms."""
    try:
        check_yaml_text(text, path)
        node = yaml.compose(text, Loader=yaml.SafeLoader)
    except RecursionError:
        raise BudgetError(f"nested deeper than {MAX_DEPTH} levels: exceeds the budget",
                          path) from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1} column {mark.column + 1}" if mark else ""
        raise InputError(f"invalid YAML{where}: {getattr(exc, 'problem', None) or exc}",
                         path) from None
    if node is None:
        raise InputError("file is empty, expected a Cloud Workflows definition", path)
    composer = Composer()
    try:
        data = composer.build(node)
    except InputError as exc:
        raise type(exc)(exc.problem, path) from None
    if not isinstance(data, dict) or not isinstance(data.get("main"), dict):
        raise InputError("expected a mapping with a 'main' workflow (main: {params: [input], "
                         "steps: [...]})", path)
    main = data["main"]
    params = main.get("params") or []
    if len(params) != 1 or not isinstance(params[0], str):
        raise InputError(f"main (line {composer.lines.get(id(main))}): needs exactly one "
                         "parameter, the initial payload", path)
    parser = _Parser(data, composer.lines, func_for_url)
    parser.find_callers()
    steps = list(main.get("steps") or [])
    # the set-up step: payload from the execution argument (and the request id)
    if steps and isinstance(steps[0], dict) and len(steps[0]) == 1:
        (first_name, first), = steps[0].items()
        assigns = first.get("assign") if isinstance(first, dict) else None
        if isinstance(assigns, list) and any(expr_code(a.get("payload")) == params[0]
                                             for a in assigns if isinstance(a, dict)):
            steps = steps[1:]
        else:
            raise InputError(f"step {first_name!r} (line {composer.lines.get(id(first))}): "
                             f"main must start by assigning payload: ${{{params[0]}}}", path)
    try:
        sebs = parser.scope(steps, "main")
    except Reject as exc:
        raise InputError(str(exc), path) from None
    if warnings is not None:
        warnings.extend(parser.warnings)
    return workflow_from_data(sebs, path)
