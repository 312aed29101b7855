"""Walking a CMake project as a native x86-64 Linux GNU configure would, collecting facts.

The evaluator interprets the project's own CMake code: directory and function scopes, the cache,
``include()``/``add_subdirectory()``, ``if``/``foreach``/``while``, and calls of the project's
``function()``/``macro()`` definitions with ``ARGV``/``ARGN``/``ARGC`` and named parameters bound.
That last point is why project helpers (GROMACS's ``gmx_option_multichoice``, ggml's option
wrappers, ...) turn into options without any special-casing: their bodies run, and the
``set(... CACHE ...)``/``set_property(CACHE ... STRINGS ...)`` inside them are recorded. CMake's
own modules (``include(CheckCXXCompilerFlag)``) are not evaluated; their commands are no-ops, and
the few that define options (``cmake_dependent_option``) are built in (see :mod:`commands`).

Two kinds of evaluation run side by side:

* **native**: the path a configure on x86-64 Linux with GCC takes (predefined variables in
  :data:`PREDEFINED`); it decides defaults.
* **shadow**: every ``if()`` branch the native path does not take is still visited, in a fork of
  the state (:mod:`scope`) whose writes are discarded — options that exist only on ARM, only with
  CUDA, ... are specialization points too. A ``return()`` taken natively inside an ``if`` also
  continues the rest of its file/function in shadow, so guards such as ``if(NOT GMX_GPU)
  return() endif()`` do not hide what follows.

Limits keep runaway projects finite: include loops are detected (a file already being included is
skipped with a warning naming ``file:line``), recursion deeper than :data:`MAX_DEPTH` and loops
longer than :data:`MAX_LOOP` are cut with a warning, and the total number of evaluated commands is
bounded (:data:`MAX_STEPS`).
"""

from __future__ import annotations

import contextlib
import re
from pathlib import Path

from xaas_parsl.errors import InputError
from xaas_parsl.spec.cmake.blocks import BlockNode, DefNode, IfNode, LoopNode, Node, compile_nodes
from xaas_parsl.spec.cmake.branches import exec_if
from xaas_parsl.spec.cmake.calls import call_definition
from xaas_parsl.spec.cmake.commands import BUILTINS
from xaas_parsl.spec.cmake.condition import evaluate_condition
from xaas_parsl.spec.cmake.context import (
    MAX_DEPTH,
    MAX_LOOP,
    MAX_STEPS,
    BreakSignal,
    ContinueSignal,
    ControlFlow,
    Ctx,
    EvalCondEnv,
    ReturnSignal,
    StepLimit,
)
from xaas_parsl.spec.cmake.expand import expand_args, expand_args_traced, split_list, unparse
from xaas_parsl.spec.cmake.facts import Comparison, Cond, Facts
from xaas_parsl.spec.cmake.lexer import Arg, CMakeSyntaxError, Command, parse_file
from xaas_parsl.spec.cmake.loops import exec_block, exec_loop
from xaas_parsl.spec.cmake.native import PREDEFINED, PREDEFINED_CACHE
from xaas_parsl.spec.cmake.scope import CacheEntry, Definition, Vars, World

__all__ = ["MAX_DEPTH", "MAX_LOOP", "MAX_STEPS", "BreakSignal", "ContinueSignal", "ControlFlow",
           "Ctx", "Evaluator", "ReturnSignal"]


#: Compiled node trees by file, valid while the parser's cache returns the same commands.
_COMPILED: dict[Path, tuple[tuple[Command, ...], tuple[Node, ...]]] = {}


class Evaluator:
    """Evaluates one project; results accumulate in :attr:`facts`."""

    def __init__(self, root: Path, facts: Facts | None = None) -> None:
        self.root = root.resolve()
        self.facts = facts if facts is not None else Facts()
        self.build_dir = self.root / ".xaas-discover-build"
        self._nodes: dict[Path, tuple[Node, ...]] = {}
        self._including: list[tuple[Path, str]] = []
        self._directories: list[Path] = []
        self._continued: set[str] = set()
        self.steps = 0
        self.unknown: set[str] = set()
        self.active: list[str] = []
        self._resolved: dict[str, Path] = {}
        self.shadow_calls: set[tuple[str, str, tuple[str, ...]]] = set()

    # -- files -------------------------------------------------------------------------------
    def resolve(self, path: Path) -> Path:
        """``path.resolve()``, memoised (symlink resolution is a syscall per component)."""
        key = str(path)
        found = self._resolved.get(key)
        if found is None:
            found = self._resolved[key] = path.resolve()
        return found

    def display(self, path: Path) -> str:
        """A path for provenance: relative to the project root, POSIX style."""
        try:
            return self.resolve(path).relative_to(self.root).as_posix()
        except ValueError:
            return str(path)

    def nodes_of(self, path: Path) -> tuple[Node, ...]:
        key = self.resolve(path)
        nodes = self._nodes.get(key)
        if nodes is None:
            try:
                commands = parse_file(key, self.display(key))
            except CMakeSyntaxError as exc:  # name the file absolutely for the user
                raise CMakeSyntaxError(exc.problem, f"{self.root}/{exc.path}") from None
            cached = _COMPILED.get(key)
            if cached is not None and cached[0] is commands:
                nodes = cached[1]
            else:
                try:
                    nodes = compile_nodes(commands)
                except CMakeSyntaxError as exc:
                    raise CMakeSyntaxError(exc.problem, f"{self.root}/{exc.path}") from None
                _COMPILED[key] = (commands, nodes)
            self._nodes[key] = nodes
            self.facts.files += 1
        return nodes

    def inside_root(self, path: Path) -> bool:
        try:
            self.resolve(path).relative_to(self.root)
        except ValueError:
            return False
        return True

    # -- entry points ------------------------------------------------------------------------
    def run(self) -> Facts:
        """Evaluate ``<root>/CMakeLists.txt`` and everything it pulls in."""
        top = self.root / "CMakeLists.txt"
        if not top.is_file():
            raise InputError("not a CMake project (no CMakeLists.txt)", self.root)
        base = Vars()
        for name, value in PREDEFINED.items():
            base.set(name, value)
        base.set("CMAKE_SOURCE_DIR", str(self.root))
        base.set("CMAKE_BINARY_DIR", str(self.build_dir))
        world = World()
        for name, (value, typ) in PREDEFINED_CACHE.items():
            world.cache.set(name, CacheEntry(value, typ, "", "<cmake>"))
        ctx = Ctx(base, None, world, False, ())
        try:
            self.run_directory(self.root, ctx)
        except StepLimit:
            self.facts.warn(f"evaluation stopped after {MAX_STEPS} commands (runaway loop?)")
        return self.facts

    def run_directory(self, directory: Path, ctx: Ctx) -> None:
        """``add_subdirectory``: a child scope evaluating ``<directory>/CMakeLists.txt``."""
        listfile = directory / "CMakeLists.txt"
        key = self.resolve(directory)
        if key in self._directories:
            self.facts.warn(f"{self.display(listfile)}: directory is already being evaluated "
                            "(add_subdirectory loop or an empty path); not entered again")
            return
        child = Ctx(Vars(ctx.vars), ctx.vars, ctx.world, ctx.shadow, ctx.conds, None, (),
                    ctx.depth)
        rel = self.display(directory)
        binary = self.build_dir if rel in {".", ""} else self.build_dir / rel
        for name, value in (
            ("CMAKE_CURRENT_SOURCE_DIR", str(directory)),
            ("CMAKE_CURRENT_BINARY_DIR", str(binary)),
            ("CMAKE_CURRENT_LIST_DIR", str(directory)),
            ("CMAKE_CURRENT_LIST_FILE", str(listfile)),
        ):
            child.vars.set(name, value)
        self._directories.append(key)
        # A directory's list file is "being included" too: including it again is a loop.
        self._including.append((self.resolve(listfile), ctx.site or self.display(listfile)))
        try:
            self.exec_nodes(self.nodes_of(listfile), child)
        except ControlFlow:
            pass
        finally:
            self._directories.pop()
            self._including.pop()

    def include_file(self, path: Path, ctx: Ctx, cmd: Command) -> None:
        """``include(<file>)``: same scope, ``CMAKE_CURRENT_LIST_*`` switched for its duration."""
        key = self.resolve(path)
        for open_path, open_where in self._including:
            if open_path == key:
                chain = " -> ".join(w for _, w in self._including) + f" -> {cmd.where}"
                self.facts.warn(
                    f"{cmd.where}: include loop: {self.display(key)} is already being included "
                    f"(opened at {open_where}; chain {chain}); not included again"
                )
                return
        saved = {n: ctx.vars.local.get(n, "\0") for n in
                 ("CMAKE_CURRENT_LIST_FILE", "CMAKE_CURRENT_LIST_DIR")}
        ctx.vars.set("CMAKE_CURRENT_LIST_FILE", str(key))
        ctx.vars.set("CMAKE_CURRENT_LIST_DIR", str(key.parent))
        self._including.append((key, cmd.where))
        try:
            self.exec_nodes(self.nodes_of(key), ctx)
        except ReturnSignal:
            pass
        finally:
            self._including.pop()
            for n, v in saved.items():
                if v == "\0":
                    ctx.vars.local.pop(n, None)
                else:
                    ctx.vars.local[n] = v

    # -- statements --------------------------------------------------------------------------
    def exec_nodes(self, nodes: tuple[Node, ...], ctx: Ctx) -> None:
        for i, node in enumerate(nodes):
            try:
                self.exec_node(node, ctx)
            except ReturnSignal as sig:
                if not ctx.shadow and sig.cond is not None and i + 1 < len(nodes):
                    self._continue_in_shadow(nodes[i + 1 :], ctx, sig.cond)
                raise

    def _continue_in_shadow(self, rest: tuple[Node, ...], ctx: Ctx, cond: Cond) -> None:
        """Visit what a natively taken ``return()`` skipped (once per location)."""
        first = rest[0]
        line = first.line if isinstance(first, (Command, IfNode)) else first.head.line
        file = first.file if isinstance(first, Command) else None
        key = f"{file}:{line}:{cond.text}"
        if key in self._continued:
            return
        self._continued.add(key)
        self.run_shadow(rest, ctx.fork((cond.flipped(),)))

    def run_shadow(self, nodes: tuple[Node, ...], ctx: Ctx) -> None:
        with contextlib.suppress(ControlFlow):
            self.exec_nodes(nodes, ctx)

    def exec_node(self, node: Node, ctx: Ctx) -> None:
        if isinstance(node, Command):
            self.steps += 1
            if self.steps > MAX_STEPS:
                raise StepLimit()
            self.call(node, ctx)
        elif isinstance(node, IfNode):
            self.exec_if(node, ctx)
        elif isinstance(node, LoopNode):
            exec_loop(self, node, ctx)
        elif isinstance(node, DefNode):
            self.define(node, ctx)
        elif isinstance(node, BlockNode):
            exec_block(self, node, ctx)

    def condition(self, head: Command, ctx: Ctx) -> tuple[bool, Cond]:
        """Evaluate an ``if``/``elseif``/``while`` head, recording its comparisons."""
        found: list[Comparison] = []
        where = head.where
        head_args = ctx.args(head.args)
        text = unparse(head_args)
        context = ctx.conds

        def record(var: str, op: str, value: str, not_before: bool) -> None:
            fact = Comparison(var, op, value, where, not ctx.shadow, not_before, text, context,
                              ctx.site)
            found.append(fact)
            self.facts.add_comparison(fact)

        args = expand_args_traced(head_args, ctx.lookup, ctx.cache_value)
        truth = evaluate_condition(args, EvalCondEnv(self, ctx), record)
        return truth, Cond(text, False, tuple(found))

    def exec_if(self, node: IfNode, ctx: Ctx) -> None:
        exec_if(self, node, ctx)

    def define(self, node: DefNode, ctx: Ctx) -> None:
        """``function``/``macro``: remember the body; a redefinition keeps the old as ``_name``."""
        argv = self.expand(node.head.args, ctx)
        if not argv:
            return
        name = argv[0].lower()
        old = ctx.world.commands.get(name)
        if old is not None:
            ctx.world.commands.set("_" + name, old)
        ctx.world.commands.set(name, Definition(
            name, tuple(argv[1:]), node.body, node.head.name == "macro", node.head.where
        ))

    # -- calls -------------------------------------------------------------------------------
    def expand(self, args: tuple[Arg, ...], ctx: Ctx) -> list[str]:
        """The argument vector a command receives (macro parameters substituted first)."""
        return expand_args(ctx.args(args), ctx.lookup, ctx.cache_value)

    def call(self, cmd: Command, ctx: Ctx) -> None:
        name = cmd.name
        defn = ctx.world.commands.get(name)
        if defn is not None:
            call_definition(self, defn, cmd, self.expand(cmd.args, ctx), ctx)
            return
        if name == "return":
            argv = self.expand(cmd.args, ctx)
            raise ReturnSignal(tuple(argv[1:]) if argv[:1] == ["PROPAGATE"] else ())
        if name == "break":
            raise BreakSignal()
        if name == "continue":
            raise ContinueSignal()
        handler = BUILTINS.get(name)
        if handler is None:
            self.unknown.add(name)
            return
        handler(self, ctx, cmd, self.expand(cmd.args, ctx))

    def where(self, ctx: Ctx, cmd: Command) -> str:
        """Provenance of a fact: the project-level call site if inside a helper, else here."""
        return ctx.site or cmd.where

    def condition_text(self, text: str, ctx: Ctx) -> bool:
        """Evaluate a condition given as one string (``cmake_dependent_option``'s ``depends``)."""
        ok = True
        for part in split_list(text):
            words = [w for w in re.split(r" +", part) if w]
            args = [(w, Arg(w, "unquoted", 0)) for w in words]
            if not evaluate_condition(args, EvalCondEnv(self, ctx)):
                ok = False
        return ok
