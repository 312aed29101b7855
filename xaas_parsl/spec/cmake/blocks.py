"""Matching flow-control commands into a tree: ``if``…``endif``, loops, function/macro bodies.

CMake's parser yields a flat list of commands; ``if``/``elseif``/``else``/``endif``,
``foreach``/``endforeach``, ``while``/``endwhile``, ``function``/``endfunction``,
``macro``/``endmacro`` and ``block``/``endblock`` are matched when a file is read (CMake rejects a
file whose blocks do not nest). We do the same once per file (cached with the parse), so the
evaluator walks a tree and can visit *every* branch of an ``if`` cheaply. Mismatches raise
:class:`~xaas_parsl.spec.cmake.lexer.CMakeSyntaxError` naming ``file:line``.
"""

from __future__ import annotations

from dataclasses import dataclass

from xaas_parsl.spec.cmake.lexer import CMakeSyntaxError, Command


@dataclass(frozen=True, slots=True)
class IfNode:
    """``if``/``elseif``/``else`` branches: (head command, body) each; ``else`` has no args."""

    branches: tuple[tuple[Command, tuple[Node, ...]], ...]
    line: int


@dataclass(frozen=True, slots=True)
class LoopNode:
    """``foreach`` or ``while`` with its body."""

    head: Command
    body: tuple[Node, ...]


@dataclass(frozen=True, slots=True)
class DefNode:
    """``function``/``macro`` definition (executing it records the definition)."""

    head: Command
    body: tuple[Node, ...]


@dataclass(frozen=True, slots=True)
class BlockNode:
    """``block()`` … ``endblock()``: a variable scope inside a file."""

    head: Command
    body: tuple[Node, ...]


Node = Command | IfNode | LoopNode | DefNode | BlockNode

_OPENERS = {"if": "endif", "foreach": "endforeach", "while": "endwhile",
            "function": "endfunction", "macro": "endmacro", "block": "endblock"}
_CLOSERS = {v: k for k, v in _OPENERS.items()}


def _fail(cmd: Command, problem: str) -> CMakeSyntaxError:
    return CMakeSyntaxError(problem, cmd.where)


def compile_nodes(commands: tuple[Command, ...]) -> tuple[Node, ...]:
    """Nest a file's flat command list; raise on unbalanced flow control."""
    nodes, pos, closer = _block(commands, 0, None)
    if closer is not None:
        raise _fail(closer, f"{closer.name}() without a matching {_CLOSERS[closer.name]}()")
    assert pos == len(commands)
    return nodes


def _block(
    cmds: tuple[Command, ...], pos: int, opener: Command | None
) -> tuple[tuple[Node, ...], int, Command | None]:
    """Nodes from ``pos`` until a closing/branching command (returned, not consumed)."""
    out: list[Node] = []
    while pos < len(cmds):
        cmd = cmds[pos]
        name = cmd.name
        if name in _CLOSERS or name in {"elseif", "else"}:
            return tuple(out), pos, cmd
        if name == "if":
            node, pos = _if(cmds, pos)
            out.append(node)
            continue
        if name in _OPENERS:
            body, end, closer = _block(cmds, pos + 1, cmd)
            if closer is None or closer.name != _OPENERS[name]:
                raise _fail(cmd, f"{name}() is never closed by {_OPENERS[name]}()")
            if name in {"function", "macro"}:
                out.append(DefNode(cmd, body))
            elif name == "block":
                out.append(BlockNode(cmd, body))
            else:
                out.append(LoopNode(cmd, body))
            pos = end + 1
            continue
        out.append(cmd)
        pos += 1
    if opener is not None:
        raise _fail(opener, f"{opener.name}() is never closed by {_OPENERS[opener.name]}()")
    return tuple(out), pos, None


def _if(cmds: tuple[Command, ...], pos: int) -> tuple[IfNode, int]:
    head = cmds[pos]
    branches: list[tuple[Command, tuple[Node, ...]]] = []
    current = head
    pos += 1
    seen_else = False
    while True:
        body, pos, closer = _block(cmds, pos, None) if pos < len(cmds) else ((), pos, None)
        branches.append((current, body))
        if closer is None:
            raise _fail(head, "if() is never closed by endif()")
        if closer.name == "endif":
            return IfNode(tuple(branches), head.line), pos + 1
        if closer.name in {"elseif", "else"}:
            if seen_else:
                raise _fail(closer, f"{closer.name}() after else()")
            seen_else = closer.name == "else"
            current = closer
            pos += 1
            continue
        raise _fail(closer, f"{closer.name}() inside if() started at line {head.line}")
