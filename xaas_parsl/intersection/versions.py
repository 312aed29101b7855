"""Version comparison with ``packaging``, tolerant of the spellings HPC software uses.

Versions found on real systems are messy (``12.6.2``, ``2021.3.0``, ``8.1.30``, ``1.1``,
``550.54.15``, ``13.0.r13.0``). We take the leading dotted-number part and compare it with
``packaging.version.Version``; anything without a number is *unknown* (``None``). Versions
(docs/architecture.md): an unknown version is usable (with a warning); only a known version below
the minimum excludes.
"""

from __future__ import annotations

import re
from enum import Enum

from packaging.version import InvalidVersion, Version

_LEADING = re.compile(r"(\d+(?:\.\d+)*)")


def parse_version(text: str | None) -> Version | None:
    """The leading numeric version in ``text``, or ``None`` when there is none."""
    if text is None:
        return None
    match = _LEADING.search(str(text))
    if not match:
        return None
    try:
        return Version(match.group(1))
    except InvalidVersion:  # pragma: no cover - the regex only admits valid releases
        return None


class VersionCheck(Enum):
    """Outcome of comparing a found version with a minimum."""

    OK = "ok"
    NO_MINIMUM = "no-minimum"
    UNKNOWN = "unknown"
    TOO_OLD = "too-old"


def check_minimum(found: str | None, minimum: str | None) -> VersionCheck:
    """Compare ``found`` against ``minimum`` (either may be unknown)."""
    need = parse_version(minimum)
    if need is None:
        return VersionCheck.NO_MINIMUM
    have = parse_version(found)
    if have is None:
        return VersionCheck.UNKNOWN
    return VersionCheck.OK if have >= need else VersionCheck.TOO_OLD
