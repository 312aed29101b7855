"""CMake value semantics: variable references, escapes, lists and truthiness.

These are the rules every command argument goes through (``cmake-language(7)``):

* ``${NAME}`` (nested: ``${${PREFIX}_ROOT}``), ``$ENV{NAME}`` and ``$CACHE{NAME}`` are replaced by
  their values; an undefined variable is the empty string. A substituted value is *not* scanned
  again (``set(x "\\${y}")`` stays literal), so expansion is a single left-to-right scan.
* Escapes: ``\\n``/``\\t``/``\\r`` become the control characters, ``\\;`` is kept as ``\\;``
  (it protects a list separator), ``\\X`` for any other character becomes ``X``; in quoted
  arguments a backslash before a newline joins the lines.
* Unquoted arguments are split into list elements on unescaped ``;`` (empty elements dropped);
  quoted and bracket arguments never split.
* ``if()`` truthiness: ``1 ON YES TRUE Y`` and non-zero numbers are true; ``0 OFF NO FALSE N
  IGNORE NOTFOUND``, the empty string and ``*-NOTFOUND`` are false; anything else is a variable
  name (see :mod:`condition`).

The environment is deliberately empty (``$ENV{X}`` is ``""``) so that discovery is the same on
every machine.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from xaas_parsl.spec.cmake.lexer import Arg

Lookup = Callable[[str], str | None]

_SIMPLE = re.compile(r"[$\\]")
_TRUE = {"1", "ON", "YES", "TRUE", "Y"}
_FALSE = {"0", "OFF", "NO", "FALSE", "N", "IGNORE", "NOTFOUND", ""}
_NUMBER = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?")
_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", "0": "\0"}
_REF_START = re.compile(r"\$(ENV|CACHE)?\{")
_PLAIN_REF = re.compile(r"\$\{([^${}\\]*)\}")
_NESTED = re.compile(r"\$\{[^}]*\$")


def constant_truth(value: str) -> bool | None:
    """``True``/``False`` for CMake's boolean constants, ``None`` when it is not one."""
    upper = value.upper()
    if upper in _TRUE:
        return True
    if upper in _FALSE or upper.endswith("-NOTFOUND"):
        return False
    if _NUMBER.fullmatch(value):
        return float(value) != 0.0
    return None


def is_true(value: str | None) -> bool:
    """Truthiness of a *value* (as ``if(${X})`` would see it): non-constants are false."""
    if value is None:
        return False
    return constant_truth(value) is True


def expand(
    text: str,
    lookup: Lookup,
    cache_lookup: Lookup,
    quoted: bool = False,
) -> str:
    """Expand variable references and decode escapes in one argument's raw text."""
    if not _SIMPLE.search(text):
        return text
    if "\\" not in text and "ENV{" not in text and "CACHE{" not in text \
            and not _NESTED.search(text):
        # Fast path: only plain ${NAME} references (by far the most common case).
        return _PLAIN_REF.sub(lambda m: lookup(m.group(1)) or "", text)
    out, _ = _scan(text, 0, lookup, cache_lookup, quoted, closing=False)
    return out


_STOP = re.compile(r"[$\\]")
_STOP_CLOSING = re.compile(r"[$\\}]")


def _scan(
    text: str, pos: int, lookup: Lookup, cache_lookup: Lookup, quoted: bool, closing: bool
) -> tuple[str, int]:
    """Scan from ``pos``; with ``closing`` stop at the ``}`` that ends a reference name."""
    parts: list[str] = []
    n = len(text)
    stop = _STOP_CLOSING if closing else _STOP
    while True:
        m = stop.search(text, pos)
        if m is None:
            parts.append(text[pos:])
            return "".join(parts), n + (1 if closing else 0)
        at = m.start()
        parts.append(text[pos:at])
        ch = text[at]
        if ch == "}":
            return "".join(parts), at + 1
        if ch == "$":
            ref = _REF_START.match(text, at)
            if ref is None:
                parts.append("$")
                pos = at + 1
                continue
            name, end = _scan(text, ref.end(), lookup, cache_lookup, quoted, closing=True)
            if end > n:  # unterminated reference: keep the text literally
                parts.append(text[at:])
                return "".join(parts), n + (1 if closing else 0)
            kind = ref.group(1)
            if kind == "ENV":
                value = ""
            elif kind == "CACHE":
                value = cache_lookup(name) or ""
            else:
                value = lookup(name) or ""
            parts.append(value)
            pos = end
            continue
        if at + 1 >= n:  # a lone trailing backslash
            parts.append("\\")
            pos = at + 1
            continue
        nxt = text[at + 1]
        if nxt == ";":
            parts.append("\\;")
        elif not (nxt == "\n" and quoted):
            parts.append(_ESCAPES.get(nxt, nxt))
        pos = at + 2


_LIST_SPLIT = re.compile(r"(?<!\\);")


def split_list(value: str) -> list[str]:
    """A CMake list's elements (``a;b;;c`` → ``a b c``; ``a\\;b`` stays one element)."""
    if not value:
        return []
    if ";" not in value:
        return [value]
    if "\\;" not in value:
        return [item for item in value.split(";") if item]
    return [item for item in _LIST_SPLIT.split(value) if item]


def join_list(items: list[str]) -> str:
    """The CMake list value of ``items``."""
    return ";".join(items)


def expand_args(args: tuple[Arg, ...], lookup: Lookup, cache_lookup: Lookup) -> list[str]:
    """The argument vector a command receives: expanded, unquoted ones split into elements."""
    out: list[str] = []
    for arg in args:
        if arg.kind == "bracket":
            out.append(arg.text)
        elif arg.kind == "quoted":
            out.append(expand(arg.text, lookup, cache_lookup, quoted=True))
        else:
            out.extend(split_list(expand(arg.text, lookup, cache_lookup)))
    return out


def expand_args_traced(
    args: tuple[Arg, ...], lookup: Lookup, cache_lookup: Lookup
) -> list[tuple[str, Arg]]:
    """Like :func:`expand_args` but each value keeps the argument it came from (for ``if``)."""
    out: list[tuple[str, Arg]] = []
    for arg in args:
        if arg.kind == "bracket":
            out.append((arg.text, arg))
        elif arg.kind == "quoted":
            out.append((expand(arg.text, lookup, cache_lookup, quoted=True), arg))
        else:
            out.extend((v, arg) for v in split_list(expand(arg.text, lookup, cache_lookup)))
    return out


_REFERENCE_ONLY = re.compile(r"\$\{([A-Za-z0-9_./+-]+)\}")


def referenced_name(arg: Arg) -> str | None:
    """The variable an argument names: ``FOO`` (unquoted) or ``${FOO}``/``"${FOO}"``."""
    m = _REFERENCE_ONLY.fullmatch(arg.text)
    if m:
        return m.group(1)
    if arg.kind == "unquoted" and re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", arg.text):
        return arg.text
    return None


def unparse(args: tuple[Arg, ...]) -> str:
    """Arguments back as source text (quoted ones re-quoted), for conditions in provenance."""
    parts: list[str] = []
    for arg in args:
        if arg.kind == "quoted":
            parts.append(f'"{arg.text}"')
        elif arg.kind == "bracket":
            parts.append(f"[[{arg.text}]]")
        else:
            parts.append(arg.text)
    text = " ".join(parts)
    return text.replace("( ", "(").replace(" )", ")")
