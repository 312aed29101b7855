"""Helpers shared by the discovery tests: data locations and a walk over versions."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

DATA = Path(__file__).parent / "data"
UPSTREAM = DATA / "upstream"
UPSTREAM_FILES = sorted(UPSTREAM.glob("*.json"))
SENTENCES = {"version not found", "unknown version", "unknown", "not found", "none", "default"}
VERSION_MAPS = {"modules", "tools", "Loaded Modules", "Driver Versions"}
VERSION_KEYS = {"version", "driver_version", "runtime_version", "compute_cap", "driver"}


def version_values(value: Any, key: str = "") -> Iterator[tuple[str, Any]]:
    """Every (key, value) pair whose key names a version, anywhere in a JSON document."""
    if isinstance(value, dict):
        for k, v in value.items():
            if k in VERSION_MAPS and isinstance(v, dict):
                yield from ((f"{k}.{name}", ver) for name, ver in v.items())
            else:
                yield from version_values(v, k)
    elif isinstance(value, list):
        for item in value:
            yield from version_values(item, key)
    elif key in VERSION_KEYS:
        yield key, value


def assert_no_sentence_versions(document: Any) -> None:
    """Versions are strings without whitespace that are not placeholders, or null."""
    for key, value in version_values(document):
        assert value is None or isinstance(value, str), (key, value)
        if isinstance(value, str):
            assert value.strip().casefold() not in SENTENCES, (key, value)
            assert not any(ch.isspace() for ch in value), (key, value)
