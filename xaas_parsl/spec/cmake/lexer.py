"""A tokenizer/parser for the CMake language (``cmake-language(7)``), fast enough for big trees.

A CMake file is a flat sequence of command invocations ``name(args...)``; control flow
(``if``/``foreach``/``function``...) is just more commands, matched up later by the evaluator.
Each argument keeps its *kind* because CMake treats them differently:

* ``bracket`` (``[[...]]``, ``[==[...]==]``): literal text, no variable expansion, one argument;
* ``quoted`` (``"..."``): variables and escapes are expanded, it stays one argument (``;`` does
  not split it), and ``if()`` does not auto-dereference it (policy CMP0054);
* ``unquoted``: variables and escapes are expanded and the result is split on ``;`` into zero
  or more arguments. Nested parentheses (``if((A OR B) AND C)``) become their own unquoted
  ``(``/``)`` arguments, exactly as CMake's own lexer emits them, so ``if()`` can group them.

Comments (``# ...`` and bracket comments ``#[[ ... ]]``/``#[==[ ... ]==]``) are dropped. Escapes
and ``\\``-newline continuations inside quoted arguments are kept verbatim in ``Arg.text``; the
evaluator decodes them while expanding variables (decoding first would turn ``\\${x}`` into a
reference). Malformed input (unbalanced parentheses, an unterminated quoted or bracket argument or
bracket comment) raises :class:`CMakeSyntaxError` naming ``file:line`` of the construct that was
left open — a one-line ``InputError`` for the CLI.

The scanner works on regular expressions over the whole text (not character by character), and
:func:`parse_file` caches by path and modification time: GROMACS's ~400 CMake files parse in a
fraction of a second.
"""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from xaas_parsl.errors import InputError
from xaas_parsl.fileio import read_text

ArgKind = Literal["quoted", "bracket", "unquoted"]


class CMakeSyntaxError(InputError):
    """A CMake file that CMake itself would reject; the path is ``file:line``."""


@dataclass(frozen=True, slots=True)
class Arg:
    """One argument as written: raw ``text`` (without quotes/brackets), its kind and line."""

    text: str
    kind: ArgKind
    line: int


@dataclass(frozen=True, slots=True)
class Command:
    """One command invocation; ``name`` is lower-cased (CMake command names are case-blind)."""

    name: str
    args: tuple[Arg, ...]
    file: str
    line: int

    @property
    def where(self) -> str:
        """``file:line`` for provenance and messages."""
        return f"{self.file}:{self.line}"


_SPACE = re.compile(r"[ \t\r\n]+")
_BRACKET_OPEN = re.compile(r"\[(=*)\[")
_COMMAND_START = re.compile(r"([A-Za-z_][A-Za-z0-9_]*)[ \t]*\(")
_UNQUOTED = re.compile(
    r"""(?:\$\([A-Za-z0-9_]*\)|[^\s()#"\\]|\\.)"""
    r"""(?:\$\([A-Za-z0-9_]*\)|[^\s()#"\\]|\\.|"(?:[^"\\\n]|\\.)*")*""",
    re.DOTALL,
)
_LINE_GAP = re.compile(r"[ \t]*")
_QUOTED_BODY = re.compile(r'(?:[^"\\]|\\.)*', re.DOTALL)


class _Scanner:
    """Position-based scanning state for one file."""

    def __init__(self, text: str, file: str) -> None:
        self.text = text
        self.file = file
        self.pos = 0
        self._newlines = [m.start() for m in re.finditer("\n", text)]

    def line_at(self, pos: int) -> int:
        """1-based line number of a character offset."""
        return bisect.bisect_left(self._newlines, pos) + 1

    def fail(self, problem: str, pos: int) -> CMakeSyntaxError:
        return CMakeSyntaxError(problem, f"{self.file}:{self.line_at(pos)}")

    def skip_bracket(self, start: int, what: str) -> int:
        """Skip ``[=*[ ... ]=*]`` starting at ``start``; returns the end offset."""
        m = _BRACKET_OPEN.match(self.text, start)
        assert m is not None
        closer = "]" + m.group(1) + "]"
        end = self.text.find(closer, m.end())
        if end < 0:
            raise self.fail(f"unterminated {what} (no closing {closer})", start)
        return end + len(closer)

    def skip_comment(self, start: int) -> int:
        """Skip a ``#`` comment (line or bracket form) starting at ``start``."""
        if _BRACKET_OPEN.match(self.text, start + 1):
            return self.skip_bracket(start + 1, "bracket comment")
        end = self.text.find("\n", start)
        return len(self.text) if end < 0 else end


def _parse_args(sc: _Scanner, name: str, open_pos: int) -> list[Arg]:
    """Arguments after the ``(`` of a command, up to its balancing ``)``."""
    text = sc.text
    args: list[Arg] = []
    depth = 1
    pos = open_pos + 1
    n = len(text)
    while True:
        if pos >= n:
            raise sc.fail(f"unbalanced parentheses: '{name}(' is never closed", open_pos)
        ch = text[pos]
        if ch in " \t\r\n":
            m = _SPACE.match(text, pos)
            assert m is not None
            pos = m.end()
        elif ch == "#":
            pos = sc.skip_comment(pos)
        elif ch == "(":
            depth += 1
            args.append(Arg("(", "unquoted", sc.line_at(pos)))
            pos += 1
        elif ch == ")":
            depth -= 1
            if depth == 0:
                sc.pos = pos + 1
                return args
            args.append(Arg(")", "unquoted", sc.line_at(pos)))
            pos += 1
        elif ch == '"':
            body = _QUOTED_BODY.match(text, pos + 1)
            assert body is not None
            if body.end() >= n:
                raise sc.fail("unterminated quoted argument", pos)
            args.append(Arg(body.group(0), "quoted", sc.line_at(pos)))
            pos = body.end() + 1
        elif ch == "[" and _BRACKET_OPEN.match(text, pos):
            end = sc.skip_bracket(pos, "bracket argument")
            opener = _BRACKET_OPEN.match(text, pos)
            assert opener is not None
            inner = text[opener.end() : end - len(opener.group(0))]
            if inner.startswith("\n"):  # CMake drops one newline right after the opener
                inner = inner[1:]
            args.append(Arg(inner, "bracket", sc.line_at(pos)))
            pos = end
        else:
            m = _UNQUOTED.match(text, pos)
            if m is None:  # a lone backslash at end of file
                raise sc.fail("unterminated escape sequence", pos)
            args.append(Arg(m.group(0), "unquoted", sc.line_at(pos)))
            pos = m.end()


def parse(text: str, file: str = "<string>") -> tuple[Command, ...]:
    """Parse CMake source ``text``; ``file`` is used in provenance and error messages."""
    sc = _Scanner(text, file)
    commands: list[Command] = []
    n = len(text)
    while True:
        m = _SPACE.match(text, sc.pos)
        if m:
            sc.pos = m.end()
        if sc.pos >= n:
            break
        ch = text[sc.pos]
        if ch == "#":
            sc.pos = sc.skip_comment(sc.pos)
            continue
        cm = _COMMAND_START.match(text, sc.pos)
        if cm is None:
            snippet = text[sc.pos : sc.pos + 20].split("\n")[0]
            raise sc.fail(f"expected a command invocation, found {snippet!r}", sc.pos)
        start = sc.pos
        open_pos = cm.end() - 1
        args = _parse_args(sc, cm.group(1), open_pos)
        commands.append(Command(cm.group(1).lower(), tuple(args), file, sc.line_at(start)))
        # CMake requires a newline (or a comment) between two commands.
        gap = _LINE_GAP.match(text, sc.pos)
        assert gap is not None
        if gap.end() < n and text[gap.end()] not in "\r\n#":
            raise sc.fail("expected a newline after the command", gap.end())
    return tuple(commands)


_CACHE: dict[str, tuple[float, int, tuple[Command, ...]]] = {}


def parse_file(path: Path, display: str | None = None) -> tuple[Command, ...]:
    """Parse a file (cached by path, size and mtime); ``display`` is the name in provenance."""
    key = f"{path.resolve()}|{display}"
    try:
        st = path.stat()
    except OSError:
        raise InputError("no such file", path) from None
    cached = _CACHE.get(key)
    if cached and cached[0] == st.st_mtime and cached[1] == st.st_size:
        return cached[2]
    commands = parse(read_text(path), display or str(path))
    _CACHE[key] = (st.st_mtime, st.st_size, commands)
    return commands
