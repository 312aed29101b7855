"""``string()``, ``list()`` and ``math()``: the value plumbing helpers rely on.

Project helpers massage option values before using them (GROMACS upper-cases
``GMX_FFT_LIBRARY`` and strips ``[built-in]`` from the allowed list; ggml builds variant lists
with ``list(APPEND)``), so these commands are implemented for the common sub-commands. Anything
non-deterministic is made deterministic (``string(TIMESTAMP)`` is a fixed date,
``string(RANDOM)`` a fixed string) so that two runs give byte-identical output.
"""

from __future__ import annotations

import contextlib
import hashlib
import re
from collections.abc import Callable
from typing import TYPE_CHECKING

from xaas_parsl.spec.cmake.condition import cmake_regex
from xaas_parsl.spec.cmake.expand import join_list, split_list
from xaas_parsl.spec.cmake.lexer import Command

if TYPE_CHECKING:
    from xaas_parsl.spec.cmake.evaluate import Ctx, Evaluator

Handler = Callable[["Evaluator", "Ctx", Command, list[str]], None]


def _string(ev: Evaluator, ctx: Ctx, cmd: Command, argv: list[str]) -> None:
    if len(argv) < 2:
        return
    sub, a = argv[0], argv[1:]
    put = ctx.vars.set
    if sub in {"TOUPPER", "TOLOWER"} and len(a) >= 2:
        put(a[1], a[0].upper() if sub == "TOUPPER" else a[0].lower())
    elif sub == "REPLACE" and len(a) >= 3:
        put(a[2], "".join(a[3:]).replace(a[0], a[1]) if a[0] else "".join(a[3:]))
    elif sub == "REGEX" and len(a) >= 3:
        _regex(ctx, a)
    elif sub in {"APPEND", "PREPEND"}:
        old = ctx.lookup(a[0]) or ""
        extra = "".join(a[1:])
        put(a[0], old + extra if sub == "APPEND" else extra + old)
    elif sub == "CONCAT":
        put(a[0], "".join(a[1:]))
    elif sub == "JOIN" and len(a) >= 2:
        put(a[1], a[0].join(a[2:]))
    elif sub == "LENGTH" and len(a) >= 2:
        put(a[1], str(len(a[0])))
    elif sub == "SUBSTRING" and len(a) >= 4:
        start, length = _int(a[1]), _int(a[2])
        put(a[3], a[0][start:] if length < 0 else a[0][start : start + length])
    elif sub == "STRIP" and len(a) >= 2:
        put(a[1], a[0].strip())
    elif sub == "FIND" and len(a) >= 3:
        put(a[2], str(a[0].rfind(a[1]) if "REVERSE" in a[3:] else a[0].find(a[1])))
    elif sub == "COMPARE" and len(a) >= 4:
        x, y = a[1], a[2]
        ops = {"EQUAL": x == y, "NOTEQUAL": x != y, "LESS": x < y, "GREATER": x > y,
               "LESS_EQUAL": x <= y, "GREATER_EQUAL": x >= y}
        put(a[3], "1" if ops.get(a[0], False) else "0")
    elif sub == "MAKE_C_IDENTIFIER" and len(a) >= 2:
        ident = re.sub(r"[^A-Za-z0-9_]", "_", a[0])
        put(a[1], "_" + ident if ident[:1].isdigit() else ident)
    elif sub == "REPEAT" and len(a) >= 3:
        put(a[2], a[0] * max(_int(a[1]), 0))
    elif sub in {"MD5", "SHA1", "SHA256", "SHA224", "SHA384", "SHA512"} and len(a) >= 2:
        put(a[0], hashlib.new(sub.lower(), a[1].encode()).hexdigest())
    elif sub == "TIMESTAMP":
        put(a[0], "2000-01-01T00:00:00")
    elif sub == "RANDOM":
        put(a[-1], "xaasrandom")
    elif sub == "GENEX_STRIP" and len(a) >= 2:
        put(a[1], re.sub(r"\$<[^<>]*>", "", a[0]))
    elif sub == "CONFIGURE" and len(a) >= 2:
        text = re.sub(r"@([A-Za-z0-9_]+)@", lambda m: ctx.lookup(m.group(1)) or "", a[0])
        put(a[1], text)
    elif sub == "ASCII":
        put(a[-1], "".join(chr(_int(x)) for x in a[:-1]))
    elif len(a) >= 1 and sub in {"UUID", "JSON", "HEX"}:
        put(a[0], "")


def _regex(ctx: Ctx, a: list[str]) -> None:
    mode = a[0]
    rx = cmake_regex(a[1])
    if mode in {"MATCH", "MATCHALL"} and len(a) >= 3:
        text = "".join(a[3:])
        if rx is None:
            ctx.vars.set(a[2], "")
            return
        if mode == "MATCH":
            m = rx.search(text)
            ctx.vars.set(a[2], m.group(0) if m else "")
            if m:
                for i, g in enumerate([m.group(0), *m.groups()]):
                    ctx.vars.set(f"CMAKE_MATCH_{i}", g or "")
        else:
            ctx.vars.set(a[2], join_list([m.group(0) for m in rx.finditer(text)]))
    elif mode == "REPLACE" and len(a) >= 4:
        text = "".join(a[4:])
        if rx is None:
            ctx.vars.set(a[3], text)
            return
        repl = re.sub(r"\\(\d)", r"\\g<\1>", a[2].replace("\\\\", "\\"))
        try:
            ctx.vars.set(a[3], rx.sub(repl, text))
        except (re.error, IndexError):
            ctx.vars.set(a[3], text)


def _int(text: str) -> int:
    try:
        return int(text.strip())
    except ValueError:
        return 0


def _list(ev: Evaluator, ctx: Ctx, cmd: Command, argv: list[str]) -> None:
    if len(argv) < 2:
        return
    sub, name, a = argv[0], argv[1], argv[2:]
    items = split_list(ctx.lookup(name) or "")

    def put(values: list[str], var: str = name) -> None:
        ctx.vars.set(var, join_list(values))

    if sub == "APPEND":
        put(items + a)
    elif sub == "PREPEND":
        put(a + items)
    elif sub == "INSERT" and a:
        i = _int(a[0])
        put(items[:i] + a[1:] + items[i:])
    elif sub == "REMOVE_ITEM":
        put([x for x in items if x not in a])
    elif sub == "REMOVE_AT":
        drop = {_int(x) % len(items) for x in a} if items else set()
        put([x for i, x in enumerate(items) if i not in drop])
    elif sub == "REMOVE_DUPLICATES":
        put(list(dict.fromkeys(items)))
    elif sub == "LENGTH" and a:
        ctx.vars.set(a[0], str(len(items)))
    elif sub == "GET" and len(a) >= 2:
        picked = [items[_int(i)] for i in a[:-1] if items and -len(items) <= _int(i) < len(items)]
        put(picked, a[-1])
    elif sub == "FIND" and len(a) >= 2:
        ctx.vars.set(a[1], str(items.index(a[0])) if a[0] in items else "-1")
    elif sub == "JOIN" and len(a) >= 2:
        ctx.vars.set(a[1], a[0].join(items))
    elif sub == "SUBLIST" and len(a) >= 3:
        start, length = _int(a[0]), _int(a[1])
        put(items[start:] if length < 0 else items[start : start + length], a[2])
    elif sub == "SORT":
        put(sorted(items))
    elif sub == "REVERSE":
        put(items[::-1])
    elif sub in {"POP_BACK", "POP_FRONT"}:
        if items:
            value = items.pop() if sub == "POP_BACK" else items.pop(0)
            if a:
                ctx.vars.set(a[0], value)
        put(items)
    elif sub == "FILTER" and len(a) >= 3:
        rx = cmake_regex(a[2])
        keep = a[0] == "INCLUDE"
        put([x for x in items if rx is not None and bool(rx.search(x)) == keep])
    elif sub == "TRANSFORM" and a:
        _transform(ctx, name, items, a)


def _transform(ctx: Ctx, name: str, items: list[str], a: list[str]) -> None:
    out_var = a[a.index("OUTPUT_VARIABLE") + 1] if "OUTPUT_VARIABLE" in a[:-1] else name
    action = a[0]
    if action in {"APPEND", "PREPEND"} and len(a) >= 2:
        items = [x + a[1] if action == "APPEND" else a[1] + x for x in items]
    elif action == "TOUPPER":
        items = [x.upper() for x in items]
    elif action == "TOLOWER":
        items = [x.lower() for x in items]
    elif action == "STRIP":
        items = [x.strip() for x in items]
    elif action == "REPLACE" and len(a) >= 3:
        rx = cmake_regex(a[1])
        if rx is not None:
            repl = re.sub(r"\\(\d)", r"\\g<\1>", a[2])
            with contextlib.suppress(re.error, IndexError):
                items = [rx.sub(repl, x) for x in items]
    ctx.vars.set(out_var, join_list(items))


_MATH_OK = re.compile(r"[0-9xXa-fA-F+\-*/%()<>&|^~ ]*")


def _math(ev: Evaluator, ctx: Ctx, cmd: Command, argv: list[str]) -> None:
    if len(argv) < 3 or argv[0] != "EXPR":
        return
    expr = argv[2].replace("/", "//")
    value = "0"
    if _MATH_OK.fullmatch(expr):
        try:
            value = str(int(eval(expr, {"__builtins__": {}}, {})))
        except (SyntaxError, ZeroDivisionError, ValueError, TypeError):
            value = "0"
    if "HEXADECIMAL" in argv[3:]:
        value = hex(int(value))
    ctx.vars.set(argv[1], value)


COMMANDS: dict[str, Handler] = {"string": _string, "list": _list, "math": _math}
