"""``if()``/``elseif()``/``else()``: the native branch runs, every other branch in shadow.

Besides choosing the branch, a branch body is inspected for two facts:

* **explicit minimum versions** — ``if(X_VERSION VERSION_LESS v)`` whose body stops the
  configure (``message(FATAL_ERROR|SEND_ERROR)``), or the ``else`` of ``VERSION_GREATER_EQUAL``,
  means ``X >= v`` is required;
* **deprecated aliases** — ``if(<X>)`` whose body only announces a deprecation (``X is
  deprecated, use Y``) makes X an alias, not a specialization point.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from xaas_parsl.spec.cmake.blocks import IfNode, Node
from xaas_parsl.spec.cmake.context import Ctx, ReturnSignal
from xaas_parsl.spec.cmake.facts import Comparison, Cond, VersionCheck
from xaas_parsl.spec.cmake.lexer import Command

_REQUIREMENT = re.compile(r"required|minimum|too_?old|unsupported", re.I)

if TYPE_CHECKING:
    from xaas_parsl.spec.cmake.evaluate import Evaluator


def _deprecates(body: tuple[Node, ...]) -> bool:
    """Whether a branch body announces a deprecation (``message(... "X is deprecated")``)."""
    for node in body:
        if isinstance(node, Command) and node.name == "message":
            if any("deprecat" in a.text.lower() for a in node.args):
                return True
        elif isinstance(node, IfNode) and any(_deprecates(b) for _h, b in node.branches):
            return True
    return False


def _fails(body: tuple[Node, ...]) -> bool:
    """Whether a branch body stops the configure: ``message(FATAL_ERROR|SEND_ERROR ...)``, or
    records a requirement for a later error (``set(cxx_required_version "GCC version 7")``:
    a variable named like *required*/*minimum*/*too old*/*unsupported*)."""
    for node in body:
        if not isinstance(node, Command) or not node.args:
            continue
        if node.name == "message" and node.args[0].text in {"FATAL_ERROR", "SEND_ERROR"}:
            return True
        if node.name == "set" and _REQUIREMENT.search(node.args[0].text):
            return True
    return False


def exec_if(ev: Evaluator, node: IfNode, ctx: Ctx) -> None:
    taken: int | None = None
    conds: list[Cond] = []
    for idx, (head, _body) in enumerate(node.branches):
        if head.name == "else":
            taken = idx
            break
        truth, cond = ev.condition(head, ctx)
        conds.append(cond)
        if truth:
            taken = idx
            break
    for idx, (head, body) in enumerate(node.branches):
        if idx == taken:
            continue
        before = tuple(c.flipped() for c in conds[:idx])
        sh = ctx.fork(before)
        own: Cond | None = None
        if head.name != "else":
            own = conds[idx] if idx < len(conds) else ev.condition(head, sh)[1]
            sh = sh.under((own,))
        _version_checks(ev, body, own, before, sh)
        ev.run_shadow(body, sh)
    if taken is None:
        return
    head, body = node.branches[taken]
    before = tuple(c.flipped() for c in conds[:taken])
    own = conds[taken] if head.name != "else" else None
    inner = ctx.under(before + ((own,) if own else ()))
    _version_checks(ev, body, own, before, inner)
    try:
        ev.exec_nodes(body, inner)
    except ReturnSignal as sig:
        if sig.cond is None:
            sig.cond = own if own is not None else (before[-1] if before else None)
        raise


def _version_checks(
    ev: Evaluator, body: tuple[Node, ...], own: Cond | None, before: tuple[Cond, ...], ctx: Ctx
) -> None:
    """``if(X VERSION_LESS v) message(FATAL_ERROR)`` (or the ``else`` of ``>=``): X >= v.

    Also: ``if(<X>) message("X is deprecated")`` marks switch X as a deprecated alias.
    """
    if (own is not None and len(own.comparisons) == 1 and own.comparisons[0].op == "TRUTH"
            and _deprecates(body)):
        ev.facts.deprecated.add(own.comparisons[0].var)
    if not _fails(body):
        return
    candidates: list[tuple[Comparison, bool]] = []
    if own is not None:
        candidates += [(c, False) for c in own.comparisons]
    elif before:
        candidates += [(c, True) for c in before[-1].comparisons]
    for cmp, flipped in candidates:
        negated = cmp.not_before != flipped
        lower_bound = any(  # X > a AND X < b: an excluded range, not a minimum
            other.var == cmp.var and other is not cmp
            and other.op in {"VERSION_GREATER", "VERSION_GREATER_EQUAL", "VERSION_EQUAL"}
            for other, _f in candidates
        )
        if lower_bound:
            continue
        if (cmp.op in {"VERSION_LESS", "LESS"} and not negated) or (
            cmp.op in {"VERSION_GREATER_EQUAL", "GREATER_EQUAL"} and negated
        ):
            ev.facts.add_version_check(
                VersionCheck(cmp.var, cmp.value, cmp.where, not ctx.shadow, ctx.conds,
                             own or (before[-1] if before else None))
            )
