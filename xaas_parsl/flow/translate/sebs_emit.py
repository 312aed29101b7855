"""Model → SeBS-Flow JSON: the inverse of ``xaas_parsl.flow.model.scope_from_dict``.

Used for ``--to sebs`` (e.g. after parsing ASL or Cloud Workflows) and by the parsers, which
build this dictionary form and hand it to the loader so every parsed definition passes the same
schema and graph checks as a hand-written one. Upstream's spellings are kept where they exist
(``common_params`` as one comma-separated string, no ``result`` when it equals ``array``), so an
upstream definition round-trips to the same JSON.
"""

from __future__ import annotations

from typing import Any

from xaas_parsl.flow.model import (
    NO_RETRY,
    Call,
    Loop,
    Map,
    Repeat,
    Scope,
    State,
    Switch,
    Task,
    Workflow,
)


def _call(call: Call) -> dict[str, Any]:
    out: dict[str, Any] = {"func_name": call.func_name}
    if call.retry != NO_RETRY:
        out["retry"] = {"max_attempts": call.retry.max_attempts,
                        "interval_s": call.retry.interval_s,
                        "backoff_rate": call.retry.backoff_rate}
    if call.timeout_s is not None:
        out["timeout_s"] = call.timeout_s
    return out


def _with_next(data: dict[str, Any], nxt: str | None) -> dict[str, Any]:
    if nxt is not None:
        data["next"] = nxt
    return data


def state_to_dict(state: State) -> dict[str, Any]:
    """One state in SeBS's JSON form."""
    if isinstance(state, Task):
        data = _with_next({"type": "task", **_call(state.call)}, state.next)
        if state.failure is not None:
            data["failure"] = state.failure
        return data
    if isinstance(state, Loop):
        return _with_next({"type": "loop", **_call(state.call), "array": state.array},
                          state.next)
    if isinstance(state, Repeat):
        return _with_next({"type": "repeat", **_call(state.call), "count": state.count},
                          state.next)
    if isinstance(state, Switch):
        return {"type": "switch",
                "cases": [{"var": c.var, "op": c.op, "val": c.val, "next": c.next}
                          for c in state.cases],
                "default": state.default}
    if isinstance(state, Map):
        data = {"type": "map", "array": state.array, **scope_to_dict(state.body)}
        if state.result != state.array:
            data["result"] = state.result
        if state.common_params:
            params = state.common_params
            data["common_params"] = list(params) if any("," in p for p in params) \
                else ",".join(params)
        return _with_next(data, state.next)
    return _with_next({"type": "parallel",
                       "parallel_functions": [scope_to_dict(b) for b in state.branches]},
                      state.next)


def scope_to_dict(scope: Scope) -> dict[str, Any]:
    return {"root": scope.root,
            "states": {name: state_to_dict(s) for name, s in scope.states.items()}}


def emit_sebs(wf: Workflow) -> dict[str, Any]:
    """The whole definition as SeBS-Flow JSON data."""
    return scope_to_dict(wf.scope)
