"""Built-in commands that define variables, options, structure and dependencies.

Only what discovery needs is modelled; any other command (``add_library``'s sources,
``install``, CMake-module functions such as ``check_cxx_compiler_flag``) is a no-op, so an
unmodelled probe simply leaves its result variable undefined (false), like a failed check.

Facts recorded here (see :mod:`facts`): options from ``option()``, ``set(... CACHE ...)`` and
``cmake_dependent_option()`` (CMake's ``CMakeDependentOption`` module is not evaluated, so this
one module command is built in: "a small table of known helpers where evaluation cannot work"),
``STRINGS`` properties, ``find_package``/``pkg_check_modules`` with versions, the project's
``cmake_minimum_required`` and ``project()``.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

from xaas_parsl.spec.cmake.context import ReturnSignal
from xaas_parsl.spec.cmake.expand import constant_truth, join_list, split_list
from xaas_parsl.spec.cmake.facts import OptionFact, PackageFact
from xaas_parsl.spec.cmake.lexer import Command
from xaas_parsl.spec.cmake.scope import CacheEntry

if TYPE_CHECKING:
    from xaas_parsl.spec.cmake.evaluate import Ctx, Evaluator

Handler = Callable[["Evaluator", "Ctx", Command, list[str]], None]
BUILTINS: dict[str, Handler] = {}

_USER_TYPES = {"BOOL", "STRING", "PATH", "FILEPATH"}
#: find_package() keywords that select (or only exist in) config mode.
_CONFIG_ONLY = {"CONFIG", "NO_MODULE", "NAMES", "CONFIGS", "HINTS", "PATHS", "PATH_SUFFIXES",
                "NO_DEFAULT_PATH", "NO_CMAKE_PATH", "NO_CMAKE_PACKAGE_REGISTRY"}
_VERSION = re.compile(r"\d+(\.\d+)*(\.\.\.<?\d+(\.\d+)*)?")


#: Packages the native GNU toolchain itself provides, so ``find_package`` finds them (libgomp,
#: pthreads). Every other package is "not found": defaults must not depend on what happens to be
#: installed where discovery runs.
COMPILER_PROVIDED: dict[str, dict[str, str]] = {
    "OpenMP": {"<P>_FOUND": "TRUE", "<P>_C_FOUND": "TRUE", "<P>_CXX_FOUND": "TRUE",
               "<P>_VERSION": "4.5", "<P>_C_VERSION": "4.5", "<P>_CXX_VERSION": "4.5",
               "<P>_C_FLAGS": "-fopenmp", "<P>_CXX_FLAGS": "-fopenmp",
               "OPENMP_FOUND": "TRUE"},
    "Threads": {"<P>_FOUND": "TRUE", "CMAKE_THREAD_LIBS_INIT": "-lpthread",
                "CMAKE_USE_PTHREADS_INIT": "1"},
}


def builtin(*names: str) -> Callable[[Handler], Handler]:
    def register(fn: Handler) -> Handler:
        for name in names:
            BUILTINS[name] = fn
        return fn

    return register


def record_option(
    ev: Evaluator, ctx: Ctx, cmd: Command, name: str, typ: str, default: str, doc: str,
    depends: str | None = None,
) -> None:
    """Record a user-settable cache variable as an option fact."""
    if typ.upper() not in _USER_TYPES or not name:
        return
    ev.facts.add_option(OptionFact(
        name=name, type=typ.upper(), default=default, doc=doc, where=ev.where(ctx, cmd),
        native=not ctx.shadow, conditions=ctx.conds, depends=depends, defined_at=cmd.where,
        call_values=ctx.site_args if ctx.site else (),
    ))


def set_cache(
    ev: Evaluator, ctx: Ctx, cmd: Command, name: str, value: str, typ: str, doc: str,
    force: bool,
) -> None:
    entry = ctx.world.cache.get(name)
    typ = typ.upper()
    if entry is not None and force and not ctx.shadow:
        ev.facts.forced.add(name)
    if entry is None or force or typ == "INTERNAL":
        ctx.world.cache.set(name, CacheEntry(
            value, typ, doc, cmd.where, entry.strings if entry else (),
            entry.strings_where if entry else None,
        ))
        # Policy CMP0126 OLD: setting a cache entry removes the normal binding here.
        if ctx.vars.get(name) is not None:
            ctx.vars.unset(name)
    effective = value if entry is None or force else entry.value
    record_option(ev, ctx, cmd, name, typ, effective, doc)


@builtin("set")
def _set(ev: Evaluator, ctx: Ctx, cmd: Command, argv: list[str]) -> None:
    if not argv or argv[0].startswith("ENV{"):
        return
    name, rest = argv[0], argv[1:]
    if not ctx.shadow:
        ev.facts.assigned.add(name)
    if "CACHE" in rest:
        i = rest.index("CACHE")
        tail = rest[i + 1 :]
        set_cache(ev, ctx, cmd, name, join_list(rest[:i]), tail[0] if tail else "STRING",
                  tail[1] if len(tail) > 1 else "", "FORCE" in tail[2:])
    elif rest and rest[-1] == "PARENT_SCOPE":
        if ctx.parent is not None:
            ctx.vars.set_parent(ctx.parent, name, join_list(rest[:-1]) if rest[:-1] else None)
    elif rest:
        ctx.vars.set(name, join_list(rest))
    else:
        ctx.vars.unset(name)


@builtin("unset")
def _unset(ev: Evaluator, ctx: Ctx, cmd: Command, argv: list[str]) -> None:
    if not argv:
        return
    if "CACHE" in argv[1:]:
        ctx.world.cache.local.pop(argv[0], None)
    elif "PARENT_SCOPE" in argv[1:]:
        if ctx.parent is not None:
            ctx.vars.set_parent(ctx.parent, argv[0], None)
    else:
        ctx.vars.unset(argv[0])


@builtin("option")
def _option(ev: Evaluator, ctx: Ctx, cmd: Command, argv: list[str]) -> None:
    if not argv:
        return
    name, doc = argv[0], argv[1] if len(argv) > 1 else ""
    value = argv[2] if len(argv) > 2 else "OFF"
    # option(FAISS_OPT_LEVEL "" "generic"): CMake stores the string; it is a choice, not a switch.
    typ = "BOOL" if constant_truth(value) is not None or not value else "STRING"
    normal = ctx.vars.get(name)
    if normal is not None:  # CMP0077 NEW: a normal variable wins, no cache entry
        record_option(ev, ctx, cmd, name, typ, normal, doc)
        return
    set_cache(ev, ctx, cmd, name, value, typ, doc, force=False)


@builtin("cmake_dependent_option")
def _dependent_option(ev: Evaluator, ctx: Ctx, cmd: Command, argv: list[str]) -> None:
    """``cmake_dependent_option(<opt> <doc> <value> <depends> <force>)`` (CMake module)."""
    if len(argv) < 5:
        return
    name, doc, value, depends, force = argv[:5]
    if ev.condition_text(depends, ctx):
        if ctx.world.cache.get(name) is None:
            ctx.world.cache.set(name, CacheEntry(value, "BOOL", doc, cmd.where))
        effective = ctx.cache_value(name) or value
    else:
        ctx.vars.set(name, force)
        effective = force
    record_option(ev, ctx, cmd, name, "BOOL", effective, doc, depends=depends)


@builtin("set_property")
def _set_property(ev: Evaluator, ctx: Ctx, cmd: Command, argv: list[str]) -> None:
    if "PROPERTY" not in argv:
        return
    p = argv.index("PROPERTY")
    scope, names = argv[:1], argv[1:p]
    append = "APPEND" in names or "APPEND_STRING" in names
    names = [n for n in names if n not in {"APPEND", "APPEND_STRING"}]
    prop, values = (argv[p + 1], argv[p + 2 :]) if len(argv) > p + 1 else ("", [])
    if scope == ["GLOBAL"]:
        key = "GLOBAL:" + prop
        old = split_list(ctx.world.properties.get(key) or "") if append else []
        ctx.world.properties.set(key, join_list(old + values))
        return
    if scope != ["CACHE"]:
        return
    for name in names:
        entry = ctx.world.cache.get(name)
        if entry is None:
            continue
        if prop == "STRINGS":
            strings = tuple((list(entry.strings) if append else []) + values)
            ctx.world.cache.set(name, replace(entry, strings=strings,
                                              strings_where=ev.where(ctx, cmd)))
            ev.facts.set_strings(name, strings, not ctx.shadow,
                                 ctx.site_args if ctx.site else ())
        elif prop == "VALUE":
            ctx.world.cache.set(name, replace(entry, value=join_list(values)))
        elif prop == "TYPE" and values:
            ctx.world.cache.set(name, replace(entry, type=values[0]))
        elif prop == "HELPSTRING":
            ctx.world.cache.set(name, replace(entry, doc=join_list(values)))


@builtin("get_property")
def _get_property(ev: Evaluator, ctx: Ctx, cmd: Command, argv: list[str]) -> None:
    if len(argv) < 2 or "PROPERTY" not in argv:
        return
    var, scope = argv[0], argv[1]
    p = argv.index("PROPERTY")
    prop = argv[p + 1] if len(argv) > p + 1 else ""
    value = ""
    if scope == "GLOBAL":
        value = ctx.world.properties.get("GLOBAL:" + prop) or ""
    elif scope == "CACHE" and p > 2:
        entry = ctx.world.cache.get(argv[2])
        if entry is not None:
            value = {"STRINGS": join_list(list(entry.strings)), "VALUE": entry.value,
                     "TYPE": entry.type, "HELPSTRING": entry.doc}.get(prop, "")
    if "DEFINED" in argv[2:p] or "SET" in argv[2:p]:
        value = "1" if value else "0"
    ctx.vars.set(var, value)


@builtin("include")
def _include(ev: Evaluator, ctx: Ctx, cmd: Command, argv: list[str]) -> None:
    if not argv:
        return
    target = argv[0]
    result = argv[argv.index("RESULT_VARIABLE") + 1] if "RESULT_VARIABLE" in argv[:-1] else None
    found: Path | None = None
    if not Path(target).is_absolute():  # CMake: a module on CMAKE_MODULE_PATH first
        for directory in split_list(ctx.lookup("CMAKE_MODULE_PATH") or ""):
            candidate = Path(directory) / f"{target}.cmake"
            if candidate.is_file():
                found = candidate
                break
    if found is None:
        path = Path(target)
        if not path.is_absolute():
            path = Path(ctx.lookup("CMAKE_CURRENT_SOURCE_DIR") or ev.root) / path
        found = path if path.is_file() else None
    if found is not None and ev.inside_root(found):
        if result:
            ctx.vars.set(result, str(found))
        ev.include_file(found, ctx, cmd)
    elif result:
        ctx.vars.set(result, "NOTFOUND")


@builtin("include_guard")
def _include_guard(ev: Evaluator, ctx: Ctx, cmd: Command, argv: list[str]) -> None:
    key = "GUARD:" + (ctx.lookup("CMAKE_CURRENT_LIST_FILE") or cmd.file)
    if ctx.world.properties.get(key) is not None:
        raise ReturnSignal()
    ctx.world.properties.set(key, "1")


@builtin("add_subdirectory")
def _add_subdirectory(ev: Evaluator, ctx: Ctx, cmd: Command, argv: list[str]) -> None:
    if not argv or not argv[0]:  # an unset variable (a download that did not happen)
        if not ctx.shadow:
            ev.facts.warn(f"{cmd.where}: add_subdirectory() of an empty path ignored")
        return
    path = Path(argv[0])
    if not path.is_absolute():
        path = Path(ctx.lookup("CMAKE_CURRENT_SOURCE_DIR") or ev.root) / path
    if (path / "CMakeLists.txt").is_file() and ev.inside_root(path):
        ev.run_directory(path, ctx)
    elif not ctx.shadow:
        ev.facts.warn(f"{cmd.where}: add_subdirectory({argv[0]}): no CMakeLists.txt there")


@builtin("project")
def _project(ev: Evaluator, ctx: Ctx, cmd: Command, argv: list[str]) -> None:
    if not argv:
        return
    name = argv[0]
    version = argv[argv.index("VERSION") + 1] if "VERSION" in argv[:-1] else None
    src = ctx.lookup("CMAKE_CURRENT_SOURCE_DIR") or str(ev.root)
    binary = ctx.lookup("CMAKE_CURRENT_BINARY_DIR") or str(ev.build_dir)
    top = "ON" if Path(src).resolve() == ev.root else "OFF"
    values = {"PROJECT_NAME": name, "PROJECT_SOURCE_DIR": src, "PROJECT_BINARY_DIR": binary,
              f"{name}_SOURCE_DIR": src, f"{name}_BINARY_DIR": binary,
              "PROJECT_IS_TOP_LEVEL": top, f"{name}_IS_TOP_LEVEL": top}
    parts = (version or "").split(".")
    for prefix in ("PROJECT", name):
        values[f"{prefix}_VERSION"] = version or ""
        for i, suffix in enumerate(("MAJOR", "MINOR", "PATCH", "TWEAK")):
            values[f"{prefix}_VERSION_{suffix}"] = parts[i] if version and i < len(parts) else ""
    if ctx.lookup("CMAKE_PROJECT_NAME") is None:
        values["CMAKE_PROJECT_NAME"] = name
    for key, value in values.items():
        ctx.vars.set(key, value)
    ev.facts.projects.append((name, version, cmd.where))


@builtin("cmake_minimum_required")
def _minimum(ev: Evaluator, ctx: Ctx, cmd: Command, argv: list[str]) -> None:
    if "VERSION" in argv[:-1]:
        version = argv[argv.index("VERSION") + 1].split("...")[0]
        ctx.vars.set("CMAKE_MINIMUM_REQUIRED_VERSION", version)
        if ev.facts.minimum_required is None and not ctx.shadow:
            ev.facts.minimum_required = (version, cmd.where)


@builtin("find_package", "find_dependency")
def _find_package(ev: Evaluator, ctx: Ctx, cmd: Command, argv: list[str]) -> None:
    if not argv:
        return
    name = argv[0]
    version = argv[1] if len(argv) > 1 and _VERSION.fullmatch(argv[1]) else None
    if version and "..." in version:
        version = version.split("...")[0]
    words = argv[2:] if version else argv[1:]
    comps: list[str] = []
    if "COMPONENTS" in words:
        for w in words[words.index("COMPONENTS") + 1 :]:
            if w.isupper() and w in {"OPTIONAL_COMPONENTS", "CONFIG", "MODULE", "QUIET",
                                     "REQUIRED", "NO_MODULE", "GLOBAL", "NAMES", "HINTS"}:
                break
            comps.append(w)
    ev.facts.add_package(PackageFact(
        name, version, "REQUIRED" in words, ev.where(ctx, cmd), not ctx.shadow, ctx.conds,
        tuple(comps),
    ))
    provided = COMPILER_PROVIDED.get(name)
    if provided is not None:
        for key, value in provided.items():
            ctx.vars.set(key.replace("<P>", name), value)
        return
    if _CONFIG_ONLY & set(words):
        return  # config mode: <Pkg>Config.cmake of an installed package, not a Find module
    for directory in split_list(ctx.lookup("CMAKE_MODULE_PATH") or ""):
        module = Path(directory) / f"Find{name}.cmake"
        if module.is_file() and ev.inside_root(module):
            ctx.vars.set(f"{name}_FIND_VERSION", version or "")
            ctx.vars.set(f"{name}_FIND_REQUIRED", "1" if "REQUIRED" in words else "0")
            ctx.vars.set(f"{name}_FIND_COMPONENTS", join_list(comps))
            ctx.vars.set("CMAKE_FIND_PACKAGE_NAME", name)
            ev.include_file(module, ctx, cmd)
            return


@builtin("pkg_check_modules", "pkg_search_module")
def _pkg_check_modules(ev: Evaluator, ctx: Ctx, cmd: Command, argv: list[str]) -> None:
    flags = {"REQUIRED", "QUIET", "IMPORTED_TARGET", "GLOBAL", "NO_CMAKE_PATH",
             "NO_CMAKE_ENVIRONMENT_PATH"}
    for spec in argv[1:]:
        if spec in flags:
            continue
        m = re.match(r"([^<>=]+)(?:[<>]?=+)?(.*)", spec)
        if m:
            ev.facts.add_package(PackageFact(
                m.group(1), m.group(2) or None, "REQUIRED" in argv, ev.where(ctx, cmd),
                not ctx.shadow, ctx.conds,
            ))


def _load_more() -> None:
    """Register the commands of the sibling modules (string/list/math, misc)."""
    from xaas_parsl.spec.cmake import misc, strings

    BUILTINS.update(strings.COMMANDS)
    BUILTINS.update(misc.COMMANDS)


_load_more()
