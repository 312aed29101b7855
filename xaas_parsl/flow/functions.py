"""Finding a workflow's functions by name: directories and Python packages.

SeBS lays a benchmark out as one file per function (``python/<func_name>.py`` defining
``handler``); we keep that unit. A *source* is either a directory (``--functions DIR``:
``DIR/<func_name>.py``) or a Python package (``<package>.<func_name>`` modules). Benchmark
packages make themselves known under a short name (e.g. ``620.func-invo``) through the entry
point group ``xaas_parsl.flow_functions`` (value: the package's import path) or, in-process,
``register_package``; a definition file whose stem is such a name finds its package without
options. Sources are plain ``(kind, location)`` pairs so they travel to remote workers, and each
worker resolves and imports a function once (the first call is the cold start).
"""

from __future__ import annotations

import hashlib
import importlib
import importlib.util
import sys
import threading
from collections.abc import Callable, Iterable, Sequence
from importlib.metadata import entry_points
from pathlib import Path
from typing import Any, Literal, TypeAlias

from xaas_parsl.errors import InputError
from xaas_parsl.safety import FUNC_NAME

ENTRY_POINT_GROUP = "xaas_parsl.flow_functions"

Handler: TypeAlias = Callable[[Any], Any]
Source: TypeAlias = tuple[Literal["dir", "package"], str]

_PACKAGES: dict[str, str] = {}
_LOADED: dict[tuple[str, tuple[Source, ...]], Handler] = {}
_LOCK = threading.Lock()


def register_package(name: str, package: str) -> None:
    """Make the Python package ``package`` findable as the function source ``name``."""
    _PACKAGES[name] = package


def registered_packages() -> dict[str, str]:
    """Names of benchmark packages (entry points, then in-process registrations) → packages."""
    found = {ep.name: ep.value.split(":")[0] for ep in entry_points(group=ENTRY_POINT_GROUP)}
    found.update(_PACKAGES)
    return found


def sources_for(dirs: Iterable[str | Path] = (), packages: Iterable[str] = (),
                definition: str | Path | None = None) -> tuple[Source, ...]:
    """The ordered sources of a run: directories, then packages, then the definition's package.

    A package argument is a registered name or a Python import path. The package registered
    under the definition's stem (``620.func-invo.json`` → ``620.func-invo``) comes last, so
    explicit sources override it.
    """
    known = registered_packages()
    out: list[Source] = []
    for d in dirs:
        p = Path(d)
        if not p.is_dir():
            raise InputError("functions directory not found", p)
        out.append(("dir", str(p.resolve())))
    for name in packages:
        out.append(("package", known.get(name, name)))
    if definition is not None:
        stem = Path(definition).name.removesuffix(".json").removesuffix(".yaml") \
            .removesuffix(".yml")
        if stem in known and ("package", known[stem]) not in out:
            out.append(("package", known[stem]))
    return tuple(out)


def _package_has(package: str, func_name: str) -> bool:
    if not func_name.isidentifier():
        return False
    try:
        return importlib.util.find_spec(f"{package}.{func_name}") is not None
    except (ImportError, ValueError):
        return False


def locate(func_name: str, sources: Sequence[Source]) -> Source | None:
    """The first source that defines ``func_name`` (checked by the driver before a run).

    A name that is not a function name (``../evil/evil``, ``/abs/path``) is found nowhere:
    only ``<dir>/<name>.py`` files directly in a source directory are ever imported.
    """
    if not FUNC_NAME.fullmatch(func_name):
        return None
    for kind, location in sources:
        if kind == "dir" and (Path(location) / f"{func_name}.py").is_file():
            return kind, location
        if kind == "package" and _package_has(location, func_name):
            return kind, location
    return None


def check_functions(func_names: Iterable[str], sources: Sequence[Source],
                    definition: str | Path) -> None:
    """Fail before anything runs when a function has no source (one line naming them)."""
    missing = [f for f in func_names if locate(f, sources) is None]
    if missing:
        where = ", ".join(f"{k} {loc}" for k, loc in sources) or "no function source given " \
            "(use --functions DIR or --package NAME)"
        raise InputError(f"function(s) {', '.join(missing)} not found in {where}", definition)


def _import_file(path: Path) -> Any:
    digest = hashlib.sha1(str(path).encode(), usedforsecurity=False).hexdigest()[:12]
    name = f"_xaas_flow_fn_{digest}_{path.stem.replace('-', '_').replace('.', '_')}"
    spec = importlib.util.spec_from_file_location(name, path)
    if spec is None or spec.loader is None:
        raise ImportError(f"cannot import {path}")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module  # so objects defined there pickle and reload by name
    try:
        spec.loader.exec_module(module)
    except BaseException:
        del sys.modules[name]
        raise
    return module


def load_handler(func_name: str, sources: Sequence[Source]) -> Handler:
    """``handler`` of ``func_name`` from the first source defining it; cached per process."""
    key = (func_name, tuple(sources))
    handler = _LOADED.get(key)
    if handler is not None:
        return handler
    with _LOCK:
        if key in _LOADED:
            return _LOADED[key]
        found = locate(func_name, sources)
        if found is None:
            raise LookupError(f"function {func_name!r} not found in {list(sources)}")
        if found[0] == "dir":
            module = _import_file(Path(found[1]) / f"{func_name}.py")
        else:
            module = importlib.import_module(f"{found[1]}.{func_name}")
        found_handler: Any = getattr(module, "handler", None)
        if not callable(found_handler):
            raise LookupError(f"function {func_name!r} ({found[0]} {found[1]}) defines no "
                              "callable handler(payload)")
        _LOADED[key] = found_handler
        return _LOADED[key]
