"""The ``if()``/``elseif()``/``while()`` condition language, evaluated like CMake does.

CMake evaluates a condition in passes over the argument list (``cmConditionEvaluator``):
parentheses innermost first, then unary tests (``DEFINED``, ``EXISTS``, ``COMMAND``, ``TARGET``,
...), then binary tests (``STREQUAL``, ``MATCHES``, ``VERSION_LESS``, ``IN_LIST``, ...), then
``NOT``, then ``AND``, then ``OR``. Operands of unquoted arguments are *auto-dereferenced*: if an
unquoted operand names a defined variable its value is used (``if(GMX_GPU STREQUAL CUDA)``);
quoted and bracket arguments are never dereferenced nor treated as keywords (CMP0054 NEW). A lone
operand is true when it is a true constant, or an unquoted name of a variable whose value is not
a false constant.

Discovery also *observes* the condition: every comparison of a variable with a value
(``STREQUAL``, ``MATCHES``, ``EQUAL``, ``VERSION_*``, ``STRLESS``...) is reported through
``record`` — this is how the value sets of options without a ``STRINGS`` property are inferred and
how explicit minimum-version checks are found. The variable is the one the operand *names*
(``GMX_GPU`` or ``${GMX_FFT_LIBRARY}``), not its current value.
"""

from __future__ import annotations

import re
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

from xaas_parsl.spec.cmake.expand import constant_truth, referenced_name, split_list
from xaas_parsl.spec.cmake.lexer import Arg

_UNARY = {
    "EXISTS", "COMMAND", "DEFINED", "POLICY", "TARGET", "TEST", "IS_DIRECTORY", "IS_SYMLINK",
    "IS_ABSOLUTE", "IS_READABLE", "IS_WRITABLE", "IS_EXECUTABLE",
}
_BINARY = {
    "EQUAL", "LESS", "LESS_EQUAL", "GREATER", "GREATER_EQUAL", "STREQUAL", "STRLESS",
    "STRLESS_EQUAL", "STRGREATER", "STRGREATER_EQUAL", "VERSION_EQUAL", "VERSION_LESS",
    "VERSION_LESS_EQUAL", "VERSION_GREATER", "VERSION_GREATER_EQUAL", "MATCHES", "IN_LIST",
    "PATH_EQUAL", "IS_NEWER_THAN",
}
_RECORDED = _BINARY - {"IN_LIST", "PATH_EQUAL", "IS_NEWER_THAN"}
_KEYWORDS = _UNARY | _BINARY | {"NOT", "AND", "OR", "(", ")"}


class CondEnv(Protocol):
    """What a condition needs from the evaluator."""

    def var(self, name: str) -> str | None: ...
    def cache(self, name: str) -> str | None: ...
    def command_exists(self, name: str) -> bool: ...
    def target_exists(self, name: str) -> bool: ...
    def path_exists(self, path: str, directory: bool) -> bool: ...
    def set_matches(self, groups: list[str]) -> None: ...


Recorder = Callable[[str, str, str, bool], None]


@dataclass
class _Item:
    """An operand (``value`` + the argument it came from) or an already-evaluated result."""

    value: str
    arg: Arg | None
    result: bool | None = None

    def keyword(self) -> str | None:
        """The keyword this item is, if unquoted (quoted keywords are plain strings)."""
        if self.result is None and self.arg is not None and self.arg.kind == "unquoted":
            return self.value
        return None


def version_tuple(text: str) -> tuple[int, ...]:
    """CMake's version comparison key: leading digits of each dot component, 0-padded."""
    parts = []
    for comp in text.strip().split(".")[:8]:
        m = re.match(r"\d+", comp)
        parts.append(int(m.group(0)) if m else 0)
    while len(parts) > 1 and parts[-1] == 0:
        parts.pop()
    return tuple(parts)


def _number(text: str) -> float | None:
    try:
        return float(text)
    except ValueError:
        return None


def cmake_regex(pattern: str) -> re.Pattern[str] | None:
    """Compile a CMake regular expression (a subset of Python's); ``None`` if invalid."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # "possible nested set" in POSIX classes
            return re.compile(pattern)
    except re.error:
        return None


class _Evaluator:
    def __init__(self, env: CondEnv, record: Recorder | None) -> None:
        self.env = env
        self.record = record

    def deref(self, item: _Item) -> str:
        """Operand value with auto-dereference of unquoted variable names."""
        if item.arg is not None and item.arg.kind == "unquoted":
            value = self.env.var(item.value)
            if value is not None:
                return value
        return item.value

    def truth(self, item: _Item) -> bool:
        if item.result is not None:
            return item.result
        const = constant_truth(item.value)
        if item.arg is None or item.arg.kind != "unquoted":
            return bool(const)
        if const is not None:
            return const
        if self.record is not None:  # value "computed": the name came from ${...}
            self.record(item.value, "TRUTH", "computed" if "${" in item.arg.text else "", False)
        value = self.env.var(item.value)
        return value is not None and constant_truth(value) is not False

    def unary(self, op: str, item: _Item) -> bool:
        value = item.value
        if op == "DEFINED":
            if value.startswith("ENV{"):
                return False
            if value.startswith("CACHE{") and value.endswith("}"):
                return self.env.cache(value[6:-1]) is not None
            return self.env.var(value) is not None
        if op == "COMMAND":
            return self.env.command_exists(value)
        if op == "TARGET":
            return self.env.target_exists(value)
        if op == "POLICY":
            return bool(re.fullmatch(r"CMP\d{4}", value))
        if op == "IS_ABSOLUTE":
            return value.startswith("/")
        if op in {"EXISTS", "IS_READABLE"}:
            return self.env.path_exists(value, directory=False)
        if op == "IS_DIRECTORY":
            return self.env.path_exists(value, directory=True)
        return False

    def binary(self, left: _Item, op: str, right: _Item, not_before: bool) -> bool:
        lval = self.deref(left)
        rval = self.deref(right)
        if self.record is not None and op in _RECORDED:
            self._record(left, op, right, rval, not_before)
        if op == "MATCHES":
            rx = cmake_regex(right.value if right.arg and right.arg.kind != "unquoted" else rval)
            m = rx.search(lval) if rx else None
            if m:
                self.env.set_matches([m.group(0), *[g or "" for g in m.groups()]])
            return m is not None
        if op.startswith("VERSION_"):
            a, b = version_tuple(lval), version_tuple(rval)
            return _compare(op[len("VERSION_"):], a, b)
        if op.startswith("STR"):
            return _compare(op[3:] or "EQUAL", lval, rval) if op != "STREQUAL" else lval == rval
        if op == "IN_LIST":
            return lval in split_list(self.env.var(right.value) or "")
        if op == "PATH_EQUAL":
            return lval.rstrip("/") == rval.rstrip("/")
        if op == "IS_NEWER_THAN":
            return False
        x, y = _number(lval), _number(rval)
        if x is None or y is None:
            return False
        return _compare(op, x, y)

    def _record(self, left: _Item, op: str, right: _Item, rval: str, not_before: bool) -> None:
        assert self.record is not None
        lname = referenced_name(left.arg) if left.arg else None
        rname = referenced_name(right.arg) if right.arg else None
        literal_right = right.arg is not None and (
            right.arg.kind != "unquoted" or self.env.var(right.value) is None
        )
        if lname is not None and (literal_right or op.startswith("VERSION_")):
            self.record(lname, op, right.value if literal_right else rval, not_before)
        elif (rname is not None and left.arg is not None and op == "STREQUAL"
              and (left.arg.kind != "unquoted" or self.env.var(left.value) is None)):
            self.record(rname, op, left.value, not_before)

    def evaluate(self, items: list[_Item]) -> bool:
        n = len(items)
        if n == 1 and items[0].keyword() not in _KEYWORDS:  # fast paths: if(X), if(NOT X),
            return self.truth(items[0])                     # if(X <op> Y), if(<test> X)
        if n == 2:
            first = items[0].keyword()
            if first == "NOT" and items[1].keyword() not in _KEYWORDS:
                return not self.truth(items[1])
            if first in _UNARY:
                return self.unary(first, items[1])
        if n == 3:
            op = items[1].keyword()
            if (op in _BINARY and items[0].keyword() not in _KEYWORDS
                    and items[2].keyword() not in _KEYWORDS):
                return self.binary(items[0], op, items[2], False)
        items = self._parens(items)
        items = self._unary(items)
        items = self._binary(items)
        items = self._not(items)
        items = self._logic(items, "AND")
        items = self._logic(items, "OR")
        if not items:
            return False
        return self.truth(items[0])

    def _parens(self, items: list[_Item]) -> list[_Item]:
        out: list[_Item] = []
        i = 0
        while i < len(items):
            if items[i].keyword() == "(":
                depth, j = 1, i + 1
                while j < len(items) and depth:
                    kw = items[j].keyword()
                    depth += 1 if kw == "(" else -1 if kw == ")" else 0
                    j += 1
                inner = items[i + 1 : j - 1 if depth == 0 else j]
                out.append(_Item("", None, self.evaluate(inner)))
                i = j
            else:
                out.append(items[i])
                i += 1
        return out

    def _unary(self, items: list[_Item]) -> list[_Item]:
        out: list[_Item] = []
        i = 0
        while i < len(items):
            kw = items[i].keyword()
            if kw in _UNARY and i + 1 < len(items):
                out.append(_Item("", None, self.unary(kw, items[i + 1])))
                i += 2
            else:
                out.append(items[i])
                i += 1
        return out

    def _binary(self, items: list[_Item]) -> list[_Item]:
        out: list[_Item] = []
        i = 0
        while i < len(items):
            if i + 2 < len(items) and items[i + 1].keyword() in _BINARY:
                op = items[i + 1].keyword()
                assert op is not None
                not_before = bool(out) and out[-1].keyword() == "NOT"
                out.append(_Item("", None, self.binary(items[i], op, items[i + 2], not_before)))
                i += 3
            else:
                out.append(items[i])
                i += 1
        return out

    def _not(self, items: list[_Item]) -> list[_Item]:
        out: list[_Item] = []
        for item in reversed(items):
            if item.keyword() == "NOT" and out:
                operand = out.pop()
                out.append(_Item("", None, not self.truth(operand)))
            else:
                out.append(item)
        out.reverse()
        return out

    def _logic(self, items: list[_Item], op: str) -> list[_Item]:
        out: list[_Item] = []
        i = 0
        while i < len(items):
            if items[i].keyword() == op and out and i + 1 < len(items):
                left = out.pop()
                right = items[i + 1]
                lv, rv = self.truth(left), self.truth(right)
                out.append(_Item("", None, (lv and rv) if op == "AND" else (lv or rv)))
                i += 2
            else:
                out.append(items[i])
                i += 1
        return out


def _compare(op: str, a: Any, b: Any) -> bool:
    """``EQUAL``/``LESS``/... on two values of one comparable type (str, float, tuple)."""
    if op == "EQUAL":
        return bool(a == b)
    if op == "LESS":
        return bool(a < b)
    if op == "GREATER":
        return bool(a > b)
    if op == "LESS_EQUAL":
        return bool(a <= b)
    if op == "GREATER_EQUAL":
        return bool(a >= b)
    return False


def evaluate_condition(
    args: list[tuple[str, Arg]], env: CondEnv, record: Recorder | None = None
) -> bool:
    """Evaluate an expanded ``if()`` argument list; ``record`` observes comparisons."""
    items = [_Item(value, arg) for value, arg in args]
    return _Evaluator(env, record).evaluate(items)
