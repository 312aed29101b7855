"""``foreach()``, ``while()`` and ``block()``.

Loops run for real (they compute option lists, e.g. a backend list iterated to declare one
option per backend) but are bounded by :data:`~xaas_parsl.spec.cmake.evaluate.MAX_LOOP`
iterations with a warning naming ``file:line``. The loop variable is restored afterwards, as
CMake does. A ``foreach`` whose list is empty natively still visits its body once in shadow with
an empty loop variable, so that facts inside it are not lost.
"""

from __future__ import annotations

from itertools import islice
from typing import TYPE_CHECKING

from xaas_parsl.spec.cmake.blocks import BlockNode, LoopNode
from xaas_parsl.spec.cmake.context import (
    MAX_LOOP,
    BreakSignal,
    ContinueSignal,
    Ctx,
    ReturnSignal,
)
from xaas_parsl.spec.cmake.expand import split_list
from xaas_parsl.spec.cmake.scope import Vars

if TYPE_CHECKING:
    from xaas_parsl.spec.cmake.evaluate import Evaluator

_KEYWORDS = {"LISTS", "ITEMS", "ZIP_LISTS"}


def _int(text: str) -> int:
    try:
        return int(text)
    except ValueError:
        return 0


def foreach_items(argv: list[str], ctx: Ctx) -> tuple[list[str], list[list[str]]]:
    """Loop variables and the value tuples of each iteration for a ``foreach`` head."""
    if not argv:
        return [], []
    if len(argv) >= 2 and argv[1] == "RANGE":
        nums = [_int(a) for a in argv[2:5]]
        if len(nums) == 1:
            start, stop, step = 0, nums[0], 1
        else:
            start, stop = nums[0], nums[1]
            step = nums[2] if len(nums) > 2 and nums[2] > 0 else 1
        # lazily: RANGE 100000000 must not build the whole list before exec_loop's cut
        span = range(start, stop + 1, step)
        return [argv[0]], [[str(i)] for i in islice(span, MAX_LOOP + 1)]
    if "IN" in argv:
        cut = argv.index("IN")
        names, rest = argv[:cut], argv[cut + 1 :]
        items: list[str] = []
        zipped: list[list[str]] = []
        mode = None
        for word in rest:
            if word in _KEYWORDS:
                mode = word
            elif mode == "LISTS":
                items.extend(split_list(ctx.lookup(word) or ""))
            elif mode == "ZIP_LISTS":
                zipped.append(split_list(ctx.lookup(word) or ""))
            else:
                items.append(word)
        if zipped:
            length = max(len(z) for z in zipped)
            rows = [[z[i] if i < len(z) else "" for z in zipped] for i in range(length)]
            if len(names) == 1:
                return [f"{names[0]}_{k}" for k in range(len(zipped))], rows
            return names, rows
        return names[:1], [[item] for item in items]
    return [argv[0]], [[item] for item in argv[1:]]


def exec_loop(ev: Evaluator, node: LoopNode, ctx: Ctx) -> None:
    if node.head.name == "while":
        for _ in range(MAX_LOOP):
            truth, _cond = ev.condition(node.head, ctx)
            if not truth:
                return
            try:
                ev.exec_nodes(node.body, ctx)
            except BreakSignal:
                return
            except ContinueSignal:
                continue
        ev.facts.warn(f"{node.head.where}: while() stopped after {MAX_LOOP} iterations")
        return
    names, rows = foreach_items(ev.expand(node.head.args, ctx), ctx)
    if not names:
        return
    saved: list[str | None] = [ctx.vars.local.get(n, "\0") for n in names]
    if not rows:
        sh = ctx.fork(())
        for n in names:
            sh.vars.set(n, "")
        ev.run_shadow(node.body, sh)
        return
    if len(rows) > MAX_LOOP:
        ev.facts.warn(f"{node.head.where}: foreach() cut after {MAX_LOOP} iterations")
        rows = rows[:MAX_LOOP]
    try:
        for row in rows:
            for n, v in zip(names, row, strict=False):
                ctx.vars.set(n, v)
            try:
                ev.exec_nodes(node.body, ctx)
            except BreakSignal:
                break
            except ContinueSignal:
                continue
    finally:
        for n, old in zip(names, saved, strict=True):
            if old == "\0":
                ctx.vars.local.pop(n, None)
            else:
                ctx.vars.local[n] = old


def exec_block(ev: Evaluator, node: BlockNode, ctx: Ctx) -> None:
    """``block([SCOPE_FOR ...] [PROPAGATE vars...])``: a variable scope (3.25+)."""
    from dataclasses import replace

    argv = ev.expand(node.head.args, ctx)
    new_scope = "SCOPE_FOR" not in argv or "VARIABLES" in argv
    propagate = argv[argv.index("PROPAGATE") + 1 :] if "PROPAGATE" in argv else []
    if not new_scope:
        ev.exec_nodes(node.body, ctx)
        return
    inner = replace(ctx, vars=Vars(ctx.vars), parent=ctx.vars)
    try:
        ev.exec_nodes(node.body, inner)
    except ReturnSignal:
        _propagate(inner, ctx, propagate)
        raise
    _propagate(inner, ctx, propagate)


def _propagate(inner: Ctx, outer: Ctx, names: list[str]) -> None:
    for name in names:
        value = inner.vars.get(name)
        if value is None:
            outer.vars.unset(name)
        else:
            outer.vars.set(name, value)
