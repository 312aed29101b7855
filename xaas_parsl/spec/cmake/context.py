"""Evaluation context: the state a statement runs in, control-flow signals, condition env.

``Ctx`` is immutable; entering a directory, a function or a branch creates a new one whose
``vars`` overlay the caller's (:mod:`scope`). ``shadow`` marks evaluation off the native path
(:mod:`evaluate`), ``conds`` the ``if()`` branches being inside, and ``site``/``site_args`` the
outermost call of a project helper (facts are attributed to that call).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from xaas_parsl.spec.cmake.facts import Cond
from xaas_parsl.spec.cmake.lexer import Arg
from xaas_parsl.spec.cmake.scope import Vars, World

if TYPE_CHECKING:
    from xaas_parsl.spec.cmake.evaluate import Evaluator


#: Calls nested deeper than this are cut (runaway recursion).
MAX_DEPTH = 48
#: Iterations of one loop.
MAX_LOOP = 2000
#: Commands evaluated in total (runaway projects).
MAX_STEPS = 3_000_000


class ControlFlow(Exception):
    """Base of ``return()``/``break()``/``continue()`` signals."""


class ReturnSignal(ControlFlow):
    """``return()``; ``cond`` is the ``if()`` branch it was taken under (natively), if any."""

    def __init__(self, propagate: tuple[str, ...] = ()) -> None:
        super().__init__()
        self.cond: Cond | None = None
        self.propagate = propagate


class BreakSignal(ControlFlow):
    """``break()``."""


class ContinueSignal(ControlFlow):
    """``continue()``."""


class StepLimit(Exception):
    """The command budget ran out (runaway project)."""


class MacroArgs:
    """A macro call's parameters: ``${name}`` → value, replaced textually (as CMake does).

    Substitution is applied lazily to each argument list the macro body evaluates instead of
    rewriting the whole body per call; function calls made from the body start without it.
    """

    __slots__ = ("pattern", "values")

    def __init__(self, values: dict[str, str]) -> None:
        self.values = values
        names = sorted(values, key=len, reverse=True)
        self.pattern = re.compile(r"\$\{(" + "|".join(re.escape(n) for n in names) + r")\}")

    def apply(self, args: tuple[Arg, ...]) -> tuple[Arg, ...]:
        if not any("${" in a.text for a in args):
            return args
        return tuple(
            a if a.kind == "bracket" or "${" not in a.text
            else Arg(self.pattern.sub(lambda m: self.values[m.group(1)], a.text), a.kind, a.line)
            for a in args
        )


@dataclass(frozen=True)
class Ctx:
    """Where evaluation stands: scope, its parent (for PARENT_SCOPE), global state, mode."""

    vars: Vars
    parent: Vars | None
    world: World
    shadow: bool
    conds: tuple[Cond, ...]
    site: str | None = None
    site_args: tuple[str, ...] = ()
    depth: int = 0
    macro: MacroArgs | None = None

    def fork(self, conds: tuple[Cond, ...]) -> Ctx:
        """A shadow fork: same view, writes discarded."""
        return Ctx(
            Vars(self.vars), Vars(self.parent) if self.parent is not None else None,
            self.world.fork(), True, self.conds + conds, self.site, self.site_args, self.depth,
            self.macro,
        )

    def under(self, conds: tuple[Cond, ...]) -> Ctx:
        """The same state, under more ``if()`` conditions."""
        if not conds:
            return self
        return Ctx(self.vars, self.parent, self.world, self.shadow, self.conds + conds,
                   self.site, self.site_args, self.depth, self.macro)

    def args(self, args: tuple[Arg, ...]) -> tuple[Arg, ...]:
        """Arguments as written, with a macro's parameters substituted if inside a macro."""
        return self.macro.apply(args) if self.macro is not None else args

    def lookup(self, name: str) -> str | None:
        """``${name}``: a normal variable, else the cache entry's value."""
        value = self.vars.get(name)
        if value is None:
            entry = self.world.cache.get(name)
            return entry.value if entry is not None else None
        return value

    def cache_value(self, name: str) -> str | None:
        entry = self.world.cache.get(name)
        return entry.value if entry is not None else None


class EvalCondEnv:
    """:class:`~xaas_parsl.spec.cmake.condition.CondEnv` over a context."""

    def __init__(self, ev: Evaluator, ctx: Ctx) -> None:
        self.ev, self.ctx = ev, ctx

    def var(self, name: str) -> str | None:
        return self.ctx.lookup(name)

    def cache(self, name: str) -> str | None:
        return self.ctx.cache_value(name)

    def command_exists(self, name: str) -> bool:
        from xaas_parsl.spec.cmake.commands import BUILTINS

        low = name.lower()
        return low in BUILTINS or self.ctx.world.commands.get(low) is not None

    def target_exists(self, name: str) -> bool:
        return self.ctx.world.properties.get("TARGET:" + name) is not None

    def path_exists(self, path: str, directory: bool) -> bool:
        p = Path(path)
        return p.is_dir() if directory else p.exists()

    def set_matches(self, groups: list[str]) -> None:
        for i, g in enumerate(groups):
            self.ctx.vars.set(f"CMAKE_MATCH_{i}", g)
        self.ctx.vars.set("CMAKE_MATCH_COUNT", str(len(groups) - 1))
