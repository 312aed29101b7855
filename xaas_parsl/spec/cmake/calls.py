"""Calling the project's own ``function()`` and ``macro()`` definitions.

This is what makes project helpers evaluable instead of special-cased. A *function* call runs its
body in a new scope (an overlay of the caller's) with the named parameters, ``ARGC``, ``ARGV``,
``ARGV<n>`` and ``ARGN`` bound; ``set(... PARENT_SCOPE)`` reaches the caller. A *macro* call is a
textual substitution: ``${param}``, ``${ARGN}``, ... are replaced in the body's arguments and the
body runs in the caller's scope (``return()`` inside it returns from the caller), exactly as CMake
does. Calls deeper than :data:`~xaas_parsl.spec.cmake.evaluate.MAX_DEPTH` (runaway recursion) are
skipped with a warning naming the call's ``file:line``.

Facts produced inside a helper are attributed to the outermost call (``Ctx.site``) and keep that
call's literal arguments (``Ctx.site_args``): ``gmx_option_multichoice(GMX_FFT_LIBRARY ...
"fftpack[built-in]")`` strips ``[built-in]`` before setting ``STRINGS``, but the call says it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from xaas_parsl.spec.cmake.context import MAX_DEPTH, ControlFlow, Ctx, MacroArgs, ReturnSignal
from xaas_parsl.spec.cmake.expand import join_list
from xaas_parsl.spec.cmake.lexer import Command
from xaas_parsl.spec.cmake.scope import Definition, Vars

if TYPE_CHECKING:
    from xaas_parsl.spec.cmake.evaluate import Evaluator


def _bindings(defn: Definition, argv: list[str]) -> dict[str, str]:
    values = {p: (argv[i] if i < len(argv) else "") for i, p in enumerate(defn.params)}
    values["ARGC"] = str(len(argv))
    values["ARGV"] = join_list(argv)
    values["ARGN"] = join_list(argv[len(defn.params) :])
    for i, a in enumerate(argv):
        values[f"ARGV{i}"] = a
    return values


def call_definition(
    ev: Evaluator, defn: Definition, cmd: Command, argv: list[str], ctx: Ctx
) -> None:

    if ctx.depth >= MAX_DEPTH:
        ev.facts.warn(
            f"{cmd.where}: call depth {MAX_DEPTH} reached calling {defn.name}() "
            "(runaway recursion?); call skipped"
        )
        return
    if ctx.shadow and defn.name in ev.active:
        return  # recursion explored in shadow would visit both arms forever: natively only
    shadow_key = (defn.where, cmd.where, tuple(argv))
    if ctx.shadow:
        if shadow_key in ev.shadow_calls:
            return  # the same call from the same place was explored in shadow already
        ev.shadow_calls.add(shadow_key)
    site = ctx.site or cmd.where
    site_args = ctx.site_args if ctx.site else tuple(argv)
    values = _bindings(defn, argv)
    ev.active.append(defn.name)
    try:
        if defn.is_macro:
            ev.exec_nodes(defn.body, Ctx(
                ctx.vars, ctx.parent, ctx.world, ctx.shadow, ctx.conds, site, site_args,
                ctx.depth + 1, MacroArgs(values),
            ))
        else:
            _call_function(ev, defn, values, ctx, site, site_args)
    finally:
        ev.active.pop()


def _call_function(
    ev: Evaluator, defn: Definition, values: dict[str, str], ctx: Ctx, site: str,
    site_args: tuple[str, ...],
) -> None:
    scope = Vars(ctx.vars)
    for name, value in values.items():
        scope.set(name, value)
    scope.set("CMAKE_CURRENT_FUNCTION", defn.name)
    fctx = Ctx(scope, ctx.vars, ctx.world, ctx.shadow, ctx.conds, site, site_args,
               ctx.depth + 1)
    try:
        ev.exec_nodes(defn.body, fctx)
    except ReturnSignal as sig:
        for name in sig.propagate:
            scope.set_parent(ctx.vars, name, scope.get(name))
    except ControlFlow:  # break()/continue() outside a loop
        pass
