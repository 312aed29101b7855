"""Other built-in commands: argument parsing, paths, probes, targets, compile flags.

Probes of the build machine (``execute_process``, ``find_library``, ``try_compile``...) are
answered as "not found"/"failed" without running anything: discovery must be deterministic and
offline, and a default must not depend on what happens to be installed where it runs (the
``--configure`` mode exists for real answers). ``cmake_parse_arguments`` is a real built-in since
CMake 3.5 and many helpers depend on it, so it is implemented faithfully. Compile options/
definitions are recorded for ``compiler_flags``/``optimization_build_flags``.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from xaas_parsl.spec.cmake.expand import join_list, split_list
from xaas_parsl.spec.cmake.lexer import Command, parse

if TYPE_CHECKING:
    from xaas_parsl.spec.cmake.evaluate import Ctx, Evaluator

Handler = Callable[["Evaluator", "Ctx", Command, list[str]], None]


def _parse_arguments(ev: Evaluator, ctx: Ctx, cmd: Command, argv: list[str]) -> None:
    if argv[:1] == ["PARSE_ARGV"]:
        if len(argv) < 6:
            return
        start = int(argv[1]) if argv[1].isdigit() else 0
        prefix, opts, ones, multis = argv[2:6]
        count = int(ctx.lookup("ARGC") or "0")
        args = [ctx.lookup(f"ARGV{i}") or "" for i in range(start, count)]
    else:
        if len(argv) < 4:
            return
        prefix, opts, ones, multis = argv[:4]
        args = argv[4:]
    o, s, m = split_list(opts), split_list(ones), split_list(multis)
    keywords = set(o) | set(s) | set(m)
    found: dict[str, list[str]] = {}
    unparsed: list[str] = []
    missing: list[str] = []
    current: str | None = None
    for arg in args:
        if arg in keywords:
            current = arg
            found[arg] = []
            if arg in o:
                current = None
            continue
        if current is None:
            unparsed.append(arg)
            continue
        found[current].append(arg)
        if current in s:
            current = None
    for key in s + m:
        if key in found and not found[key]:
            missing.append(key)
    for key in o:
        ctx.vars.set(f"{prefix}_{key}", "TRUE" if key in found else "FALSE")
    for key in s + m:
        if found.get(key):
            ctx.vars.set(f"{prefix}_{key}", join_list(found[key]))
        else:
            ctx.vars.unset(f"{prefix}_{key}")
    for name, values in (("UNPARSED_ARGUMENTS", unparsed), ("KEYWORDS_MISSING_VALUES", missing)):
        if values:
            ctx.vars.set(f"{prefix}_{name}", join_list(values))
        else:
            ctx.vars.unset(f"{prefix}_{name}")


def _filename_component(ev: Evaluator, ctx: Ctx, cmd: Command, argv: list[str]) -> None:
    if len(argv) < 3:
        return
    var, text, mode = argv[:3]
    p = Path(text)
    name = p.name
    values = {
        "DIRECTORY": str(p.parent) if "/" in text else "", "PATH": str(p.parent),
        "NAME": name, "EXT": name[name.find(".") :] if "." in name else "",
        "NAME_WE": name.split(".")[0], "LAST_EXT": p.suffix, "NAME_WLE": p.stem,
    }
    if mode in {"ABSOLUTE", "REALPATH"}:
        base = argv[argv.index("BASE_DIR") + 1] if "BASE_DIR" in argv[:-1] else (
            ctx.lookup("CMAKE_CURRENT_SOURCE_DIR") or str(ev.root))
        values[mode] = str((Path(base) / p) if not p.is_absolute() else p)
    ctx.vars.set(var, values.get(mode, text))


def _file(ev: Evaluator, ctx: Ctx, cmd: Command, argv: list[str]) -> None:
    if len(argv) < 3:
        if argv[:1] in (["GLOB"], ["GLOB_RECURSE"]) and len(argv) > 1:
            ctx.vars.set(argv[1], "")
        return
    sub = argv[0]
    if sub in {"READ", "STRINGS"}:
        path = Path(argv[1])
        text = ""
        if path.is_file() and ev.inside_root(path) and path.stat().st_size < 1_000_000:
            text = path.read_text(encoding="utf-8", errors="replace")
        if sub == "READ":
            ctx.vars.set(argv[2], text)
        else:
            lines = [ln for ln in text.splitlines() if ln]
            if "REGEX" in argv[3:-1]:
                rx = re.compile(argv[argv.index("REGEX") + 1])
                lines = [ln for ln in lines if rx.search(ln)]
            ctx.vars.set(argv[2], join_list([ln.replace(";", "\\;") for ln in lines]))
    elif sub in {"GLOB", "GLOB_RECURSE"}:
        ctx.vars.set(argv[1], "")
    elif sub in {"TO_CMAKE_PATH", "TO_NATIVE_PATH"}:
        ctx.vars.set(argv[2], argv[1])
    elif sub == "RELATIVE_PATH" and len(argv) >= 4:
        try:
            ctx.vars.set(argv[1], str(Path(argv[3]).relative_to(argv[2])))
        except ValueError:
            ctx.vars.set(argv[1], argv[3])
    elif sub == "REAL_PATH":
        ctx.vars.set(argv[2], argv[1])


def _execute_process(ev: Evaluator, ctx: Ctx, cmd: Command, argv: list[str]) -> None:
    for key, value in (("OUTPUT_VARIABLE", ""), ("ERROR_VARIABLE", ""),
                       ("RESULT_VARIABLE", "1"), ("RESULTS_VARIABLE", "1")):
        if key in argv[:-1]:
            ctx.vars.set(argv[argv.index(key) + 1], value)


def _find_thing(ev: Evaluator, ctx: Ctx, cmd: Command, argv: list[str]) -> None:
    if argv and ctx.lookup(argv[0]) is None:
        ctx.vars.set(argv[0], f"{argv[0]}-NOTFOUND")


def _failed_probe(ev: Evaluator, ctx: Ctx, cmd: Command, argv: list[str]) -> None:
    if argv:
        ctx.vars.set(argv[0], "FALSE")


def _target(ev: Evaluator, ctx: Ctx, cmd: Command, argv: list[str]) -> None:
    if argv:
        ctx.world.properties.set("TARGET:" + argv[0], cmd.where)


def _notfound(ev: Evaluator, ctx: Ctx, cmd: Command, argv: list[str]) -> None:
    if argv:
        ctx.vars.set(argv[0], f"{argv[0]}-NOTFOUND")


def _empty(ev: Evaluator, ctx: Ctx, cmd: Command, argv: list[str]) -> None:
    if argv:
        ctx.vars.set(argv[0], "")


def _separate_arguments(ev: Evaluator, ctx: Ctx, cmd: Command, argv: list[str]) -> None:
    if len(argv) >= 3:
        ctx.vars.set(argv[0], join_list(" ".join(argv[2:]).split()))
    elif argv:
        ctx.vars.set(argv[0], join_list((ctx.lookup(argv[0]) or "").split()))


def _host_information(ev: Evaluator, ctx: Ctx, cmd: Command, argv: list[str]) -> None:
    if len(argv) >= 2 and argv[0] == "RESULT":
        ctx.vars.set(argv[1], "")


def _cmake_language(ev: Evaluator, ctx: Ctx, cmd: Command, argv: list[str]) -> None:
    """``cmake_language(CALL <cmd> args...)`` and ``cmake_language(EVAL CODE ...)``."""
    from xaas_parsl.spec.cmake.blocks import compile_nodes
    from xaas_parsl.spec.cmake.lexer import Arg

    if argv[:1] == ["CALL"] and len(argv) >= 2:
        args = tuple(Arg(a, "quoted", cmd.line) for a in argv[2:])
        ev.call(Command(argv[1].lower(), args, cmd.file, cmd.line), ctx)
    elif argv[:2] == ["EVAL", "CODE"]:
        code = " ".join(argv[2:])
        nodes = compile_nodes(parse(code, cmd.file))
        ev.exec_nodes(nodes, ctx)


def _flags(ev: Evaluator, ctx: Ctx, cmd: Command, argv: list[str]) -> None:
    skip = {"PRIVATE", "PUBLIC", "INTERFACE", "BEFORE", "AFTER", "SHELL:"}
    if cmd.name.startswith("target_"):
        return  # one target's flags, not the build's
    values = argv
    for value in values:
        if value in skip or value.startswith("$<") or not value.startswith(("-", "/")):
            if cmd.name.endswith("definitions") and value not in skip and value[:1].isalpha():
                ev.facts.compile_flags.append(("-D" + value, cmd.where, not ctx.shadow))
            continue
        ev.facts.compile_flags.append((value, cmd.where, not ctx.shadow))


def _cmake_property(ev: Evaluator, ctx: Ctx, cmd: Command, argv: list[str]) -> None:
    if len(argv) >= 2:
        ctx.vars.set(argv[0], "")


COMMANDS: dict[str, Handler] = {
    "cmake_parse_arguments": _parse_arguments,
    "get_filename_component": _filename_component,
    "file": _file,
    "execute_process": _execute_process,
    "find_library": _find_thing, "find_path": _find_thing, "find_program": _find_thing,
    "find_file": _find_thing,
    "try_compile": _failed_probe, "try_run": _failed_probe,
    "add_library": _target, "add_executable": _target, "add_custom_target": _target,
    "get_target_property": _notfound, "get_source_file_property": _notfound,
    "get_test_property": _notfound, "get_directory_property": _empty, "site_name": _empty,
    "separate_arguments": _separate_arguments,
    "cmake_host_system_information": _host_information,
    "cmake_language": _cmake_language,
    "add_compile_options": _flags, "add_definitions": _flags,
    "add_compile_definitions": _flags, "target_compile_options": _flags,
    "target_compile_definitions": _flags,
    "get_cmake_property": _cmake_property,
}
