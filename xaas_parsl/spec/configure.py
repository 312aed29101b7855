"""``--configure``: ask real CMake for the cache, and merge it into the static facts.

The static pass answers every probe (``find_package``, ``check_*``, ``execute_process``) with
"not found", so a default that depends on one is a guess (LAMMPS's ``BUILD_OMP`` defaults to
"OpenMP was found"). With ``--configure`` a throw-away copy of the tree is configured in a
temporary build directory (``-DCMAKE_EXPORT_COMPILE_COMMANDS=OFF``, so nothing is compiled) with a
CMake File API ``cache-v2`` query: the reply gives every cache entry's type, value, help string
and ``STRINGS`` property. If the configure fails (many projects need dependencies that are not
installed) the partial ``CMakeCache.txt`` is read instead (it keeps ``STRINGS`` as
``<NAME>-STRINGS:INTERNAL=``), and the failure is a warning, never an error.

Merging: a real value replaces the static default, except for options the project itself
overwrites with ``FORCE`` during the configure (that value is the build's resolution, not the
default a user starts from); a ``STRINGS`` list fills one the static pass lacked; user-settable
cache entries the static pass never saw are added (and classified like any other option).
"""

from __future__ import annotations

import json
import shutil
import subprocess
import tempfile
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from xaas_parsl.spec.cmake.expand import split_list
from xaas_parsl.spec.cmake.facts import Facts, OptionFact

_USER_TYPES = {"BOOL", "STRING", "PATH", "FILEPATH"}


@dataclass(frozen=True)
class CacheItem:
    """One cache entry of a real configure."""

    name: str
    type: str
    value: str
    doc: str
    strings: tuple[str, ...] = ()


def read_file_api(build: Path) -> dict[str, CacheItem] | None:
    """Cache entries from the File API reply, or ``None`` when there is no reply."""
    reply = build / ".cmake" / "api" / "v1" / "reply"
    indexes = sorted(reply.glob("index-*.json"))
    if not indexes:
        return None
    index = json.loads(indexes[-1].read_text(encoding="utf-8"))
    for obj in index.get("objects", []):
        if obj.get("kind") == "cache":
            data: dict[str, Any] = json.loads((reply / obj["jsonFile"]).read_text("utf-8"))
            items: dict[str, CacheItem] = {}
            for entry in data.get("entries", []):
                props = {p["name"]: p["value"] for p in entry.get("properties", [])}
                items[entry["name"]] = CacheItem(
                    entry["name"], entry.get("type", ""), entry.get("value", ""),
                    props.get("HELPSTRING", ""), tuple(split_list(props.get("STRINGS", ""))),
                )
            return items
    return None


def read_cache_txt(path: Path) -> dict[str, CacheItem]:
    """Cache entries from ``CMakeCache.txt`` (help strings from the ``//`` comments)."""
    items: dict[str, CacheItem] = {}
    strings: dict[str, tuple[str, ...]] = {}
    doc: list[str] = []
    for line in path.read_text(encoding="utf-8", errors="replace").splitlines():
        if line.startswith("//"):
            doc.append(line[2:])
            continue
        if not line or line.startswith("#") or "=" not in line or ":" not in line.split("=")[0]:
            doc = []
            continue
        key, value = line.split("=", 1)
        name, typ = key.rsplit(":", 1)
        if name.endswith("-STRINGS") and typ == "INTERNAL":
            strings[name[: -len("-STRINGS")]] = tuple(split_list(value))
        elif "-" not in name:
            items[name] = CacheItem(name, typ, value, " ".join(doc))
        doc = []
    return {n: replace(i, strings=strings.get(n, ())) for n, i in items.items()}


def configure(root: Path, timeout: float = 900) -> tuple[dict[str, CacheItem], list[str]]:
    """Configure a copy of ``root``; (cache entries, warnings). Never raises for CMake errors."""
    cmake = shutil.which("cmake")
    if cmake is None:
        return {}, ["--configure: cmake is not installed; static results only"]
    warnings: list[str] = []
    with tempfile.TemporaryDirectory(prefix="xaas-configure-") as tmp:
        src, build = Path(tmp) / "src", Path(tmp) / "build"
        shutil.copytree(root, src, symlinks=True, ignore=shutil.ignore_patterns(".git"))
        query = build / ".cmake" / "api" / "v1" / "query"
        query.mkdir(parents=True)
        (query / "cache-v2").touch()
        try:
            proc = subprocess.run(
                [cmake, "-S", str(src), "-B", str(build), "-DCMAKE_EXPORT_COMPILE_COMMANDS=OFF"],
                capture_output=True, text=True, timeout=timeout, check=False,
            )
            if proc.returncode != 0:
                last = next((ln.strip() for ln in reversed(proc.stderr.splitlines())
                             if "Error" in ln or "error" in ln), "see cmake output")
                warnings.append(f"--configure: cmake failed (exit {proc.returncode}: {last}); "
                                "using the partial cache")
        except subprocess.TimeoutExpired:
            warnings.append(f"--configure: cmake did not finish in {timeout:.0f} s")
        items = read_file_api(build)
        if items is None:
            cache = build / "CMakeCache.txt"
            items = read_cache_txt(cache) if cache.is_file() else {}
    return items, warnings


def merge_cache(facts: Facts, items: dict[str, CacheItem]) -> list[str]:
    """Merge real cache entries into ``facts`` (see module docstring); returns notes."""
    notes: list[str] = []
    added = changed = 0
    for item in items.values():
        if item.type not in _USER_TYPES or item.name.startswith("CMAKE_"):
            continue
        old = facts.options.get(item.name)
        if old is None:
            facts.options[item.name] = OptionFact(
                item.name, item.type, item.value, item.doc, "cmake-configure", True,
                strings=item.strings,
            )
            added += 1
            continue
        default = old.default if item.name in facts.forced else item.value
        if default != old.default:
            if old.type == "BOOL" or old.strings or item.strings:  # switches and choices
                notes.append(f"{item.name}: default {old.default!r} -> {default!r} "
                             "(real configure)")
            else:
                changed += 1
        facts.options[item.name] = replace(
            old, default=default, native=True, strings=old.strings or item.strings
        )
    if changed:
        notes.append(f"{changed} other cache values (paths, probe results) taken from the real "
                     "configure")
    if added:
        notes.append(f"{added} cache entries seen only by the real configure were added")
    return notes
