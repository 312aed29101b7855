"""The pure interpreter core: payload paths, switch comparisons and the walker's decisions.

Nothing here calls a function, waits or touches Parsl; the executor (``xaas_parsl.flow.engine``)
asks these functions what to do next and performs it. Keeping every semantic decision of
docs/flow.md §2 in plain functions over plain data is what lets the same rules be tested without
Parsl and reused by translators to other back ends.

Payloads are never mutated: ``set_path`` copies the objects along the path, so the payload a task
received is still intact when its ``failure`` target needs it, and parallel branches cannot see
each other's writes.
"""

from __future__ import annotations

import operator
from collections.abc import Callable
from typing import Any

from xaas_parsl.flow.model import Case, Map, Op, State, Switch, Task


class FlowError(Exception):
    """A payload does not fit the definition (missing path, not a list, ...) at run time."""


_MISSING = object()


def _segments(path: str) -> list[str]:
    return path.split(".")


def _child(container: Any, segment: str) -> Any:
    if isinstance(container, dict):
        return container.get(segment, _MISSING)
    if isinstance(container, list) and segment.isdigit():
        index = int(segment)
        return container[index] if index < len(container) else _MISSING
    return _MISSING


def get_path(payload: Any, path: str) -> Any:
    """The value at dotted ``path`` (``a.b``; a digit segment indexes a list)."""
    value = payload
    for depth, segment in enumerate(_segments(path)):
        value = _child(value, segment)
        if value is _MISSING:
            where = ".".join(_segments(path)[: depth + 1])
            raise FlowError(f"payload has no {where!r} (path {path!r})")
    return value


def set_path(payload: Any, path: str, value: Any) -> Any:
    """A copy of ``payload`` with ``value`` at ``path``; missing objects on the way are created.

    Only the objects along the path are copied (shallow), the rest is shared: cheap for large
    payloads, and the original stays unchanged.
    """
    segments = _segments(path)
    if not isinstance(payload, dict | list):
        raise FlowError(f"cannot write {path!r}: the payload is a {type(payload).__name__}, "
                        "not an object")
    head, rest = segments[0], ".".join(segments[1:])
    if isinstance(payload, list):
        if not head.isdigit() or int(head) >= len(payload):
            raise FlowError(f"cannot write {path!r}: no list index {head!r}")
        out_list = list(payload)
        index = int(head)
        out_list[index] = set_path(out_list[index], rest, value) if rest else value
        return out_list
    out = dict(payload)
    if rest:
        out[head] = set_path(out.get(head, {}), rest, value)
    else:
        out[head] = value
    return out


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


_OPS: dict[Op, Callable[[Any, Any], bool]] = {
    "<": operator.lt, "<=": operator.le, "==": operator.eq,
    "!=": operator.ne, ">=": operator.ge, ">": operator.gt,
}


def compare(left: Any, op: Op, right: int | float | str) -> bool:
    """``left op right`` as ASL's comparators do it.

    Numbers compare numerically (int with float allowed; booleans are not numbers), strings by
    Unicode code point (Python's ``str`` order, case-sensitive). Values of different kinds are
    not comparable and never match, for every operator including ``!=``: a switch on a field
    that is sometimes a string and sometimes a number should fall through to ``default``, not
    take a ``!=`` branch by accident.
    """
    comparable = _is_number(left) if _is_number(right) else isinstance(left, str)
    return comparable and _OPS[op](left, right)


def choose(switch: Switch, payload: Any) -> str:
    """The target of the first case that holds, else ``default``."""
    for case in switch.cases:
        if case_holds(case, payload):
            return case.next
    return switch.default


def case_holds(case: Case, payload: Any) -> bool:
    """One case of a switch; a missing ``var`` is an error, as in ASL (``States.Runtime``)."""
    return compare(get_path(payload, case.var), case.op, case.val)


def map_items(state: Map, payload: Any) -> list[Any]:
    """The inputs of a map's iterations, in element order.

    ``common_params`` are read from the map's input once, before any item runs; each item is
    ``{"array_element": e, "<param as written>": value, ...}`` (a dotted parameter ``a.b`` gives
    a key literally named ``"a.b"``). Without ``common_params`` an item is the bare element.
    """
    elements = get_path(payload, state.array)
    if not isinstance(elements, list):
        raise FlowError(f"{state.array!r} is a {type(elements).__name__}, not a list")
    if not state.common_params:
        return list(elements)
    common = {param: get_path(payload, param) for param in state.common_params}
    return [{"array_element": element, **common} for element in elements]


def map_output(state: Map, payload: Any, results: list[Any]) -> Any:
    """The map's output: its input with the list of results at ``result`` (default: ``array``)."""
    return set_path(payload, state.result, results)


def loop_items(array: str, payload: Any) -> list[Any]:
    """The elements a loop calls its function with, one by one."""
    elements = get_path(payload, array)
    if not isinstance(elements, list):
        raise FlowError(f"{array!r} is a {type(elements).__name__}, not a list")
    return list(elements)


def next_state(state: State, payload: Any, *, failed: bool = False) -> str | None:
    """The walker's decision: which state of the same scope runs after ``state``.

    ``payload`` is the state's output (for a switch: its input, which it passes on unchanged).
    ``failed`` is only meaningful for a task and selects its ``failure`` target; the caller
    checks ``can_handle`` first. ``None`` ends the scope.
    """
    if isinstance(state, Switch):
        return choose(state, payload)
    if failed:
        if not isinstance(state, Task) or state.failure is None:
            raise FlowError(f"state {state.name!r} has no failure target")
        return state.failure
    return state.next


def can_handle(state: State) -> bool:
    """Whether an error in ``state`` is handled inside the workflow (a task with ``failure``)."""
    return isinstance(state, Task) and state.failure is not None
