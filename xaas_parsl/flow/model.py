"""Typed states of a SeBS-Flow workflow definition.

The JSON/YAML form is validated by ``sebs-flow.schema.json`` and checked for names and graph
shape by ``xaas_parsl.flow.load``; these frozen dataclasses are what the interpreter walks, so it
never looks at raw dictionaries. Upstream spellings are normalised here once (``common_params``
as a comma-separated string becomes a tuple; a map's ``result`` defaults to its ``array``), which
keeps every later step free of "which form was it written in" branches.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal, TypeAlias

Op: TypeAlias = Literal["<", "<=", "==", "!=", ">=", ">"]


@dataclass(frozen=True)
class Retry:
    """How often a failing call is attempted and how long to wait between attempts.

    ``max_attempts`` counts every attempt including the first (1 = no retry), which is the
    reading a user expects from the name; ASL's ``MaxAttempts`` counts retries only.
    """

    max_attempts: int = 1
    interval_s: float = 1.0
    backoff_rate: float = 2.0

    def delay(self, failed_attempt: int) -> float:
        """Seconds to wait after attempt number ``failed_attempt`` (1-based) failed."""
        return self.interval_s * self.backoff_rate ** (failed_attempt - 1)


NO_RETRY = Retry()


@dataclass(frozen=True)
class Call:
    """What a function-calling state (task, loop, repeat) needs to make one call."""

    func_name: str
    retry: Retry = NO_RETRY
    timeout_s: float | None = None


@dataclass(frozen=True)
class Task:
    name: str
    call: Call
    next: str | None = None
    failure: str | None = None


@dataclass(frozen=True)
class Loop:
    name: str
    call: Call
    array: str
    next: str | None = None


@dataclass(frozen=True)
class Repeat:
    name: str
    call: Call
    count: int
    next: str | None = None


@dataclass(frozen=True)
class Case:
    var: str
    op: Op
    val: int | float | str
    next: str


@dataclass(frozen=True)
class Switch:
    name: str
    cases: tuple[Case, ...]
    default: str

    @property
    def next(self) -> None:
        """A switch has no fixed successor; its targets are the cases and ``default``."""
        return None


@dataclass(frozen=True)
class Map:
    name: str
    array: str
    body: Scope
    result: str
    common_params: tuple[str, ...] = ()
    next: str | None = None


@dataclass(frozen=True)
class Parallel:
    name: str
    branches: tuple[Scope, ...]
    next: str | None = None


State: TypeAlias = Task | Loop | Repeat | Switch | Map | Parallel


@dataclass(frozen=True)
class Scope:
    """One ``{root, states}`` object: the top level, a map body or a parallel branch.

    State names are looked up only here, so a nested scope may reuse an outer name.
    """

    root: str
    states: Mapping[str, State] = field(default_factory=dict)

    def __getitem__(self, name: str) -> State:
        return self.states[name]


@dataclass(frozen=True)
class Workflow:
    """A loaded, checked definition; ``source`` names the file for messages."""

    scope: Scope
    source: str = "<definition>"
    raw: Mapping[str, Any] = field(default_factory=dict)

    def func_names(self) -> list[str]:
        """Every function the workflow may call, once each, in definition order."""
        names: dict[str, None] = {}
        for _, state in walk(self.scope):
            if isinstance(state, Task | Loop | Repeat):
                names[state.call.func_name] = None
        return list(names)


def successors(state: State) -> Iterator[tuple[str, str]]:
    """``(field, target)`` for every edge leaving ``state`` inside its own scope."""
    if isinstance(state, Switch):
        for i, case in enumerate(state.cases):
            yield f"cases/{i}/next", case.next
        yield "default", state.default
        return
    if state.next is not None:
        yield "next", state.next
    if isinstance(state, Task) and state.failure is not None:
        yield "failure", state.failure


def walk(scope: Scope, pointer: str = "") -> Iterator[tuple[str, State]]:
    """Every state of ``scope`` and its nested scopes with its JSON pointer, depth first."""
    for name, state in scope.states.items():
        here = f"{pointer}/states/{escape(name)}"
        yield here, state
        if isinstance(state, Map):
            yield from walk(state.body, here)
        elif isinstance(state, Parallel):
            for i, branch in enumerate(state.branches):
                yield from walk(branch, f"{here}/parallel_functions/{i}")


def escape(name: str) -> str:
    """A state name as a JSON pointer segment (RFC 6901)."""
    return name.replace("~", "~0").replace("/", "~1")


def split_params(value: str | list[str] | None) -> tuple[str, ...]:
    """``common_params`` in either form as a tuple of paths (upstream: ``"a,b.c"``)."""
    if value is None:
        return ()
    items = value.split(",") if isinstance(value, str) else value
    return tuple(p.strip() for p in items if p.strip())


def _call(data: Mapping[str, Any]) -> Call:
    retry = data.get("retry")
    policy = NO_RETRY if retry is None else Retry(
        max_attempts=int(retry["max_attempts"]),
        interval_s=float(retry.get("interval_s", NO_RETRY.interval_s)),
        backoff_rate=float(retry.get("backoff_rate", NO_RETRY.backoff_rate)),
    )
    timeout = data.get("timeout_s")
    return Call(data["func_name"], policy, None if timeout is None else float(timeout))


def state_from_dict(name: str, data: Mapping[str, Any]) -> State:
    """One schema-valid state object as its dataclass."""
    kind = data["type"]
    nxt = data.get("next")
    if kind == "task":
        return Task(name, _call(data), nxt, data.get("failure"))
    if kind == "loop":
        return Loop(name, _call(data), data["array"], nxt)
    if kind == "repeat":
        return Repeat(name, _call(data), int(data["count"]), nxt)
    if kind == "switch":
        cases = tuple(Case(c["var"], c["op"], c["val"], c["next"]) for c in data["cases"])
        return Switch(name, cases, data["default"])
    if kind == "map":
        return Map(name, data["array"], scope_from_dict(data), data.get("result", data["array"]),
                   split_params(data.get("common_params")), nxt)
    if kind == "parallel":
        branches = tuple(scope_from_dict(b) for b in data["parallel_functions"])
        return Parallel(name, branches, nxt)
    raise ValueError(f"unknown state type {kind!r}")  # the schema rejects it first


def scope_from_dict(data: Mapping[str, Any]) -> Scope:
    """A schema-valid ``{root, states}`` object as a ``Scope``."""
    return Scope(data["root"], {n: state_from_dict(n, s) for n, s in data["states"].items()})
