"""What counts as a version string, and where a library's version can be trusted from.

Upstream discovery wrote sentences ("Version not found") where it knew no version, and took
"versions" from whatever version-looking path component came first (the GCC of a Spack prefix).
Intersection compares versions against minimums, so a wrong version is worse than none: every
version that enters a ``SystemInfo`` passes through ``clean_version`` and, when it comes from a
path, through the narrow rules of ``version_from_path``.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import PurePosixPath

#: Words upstream (and some tools) print instead of a version; they all mean "unknown".
SENTENCES = frozenset(
    {
        "",
        "version not found",
        "unknown version",
        "unknown",
        "not found",
        "none",
        "null",
        "n/a",
        "na",
        "default",
    }
)

# Digits not preceded by a digit or dot, with at least one dotted component: "12.2.0",
# "V13.0.88" -> "13.0.88". A lone integer ("libsycl.so.5") is deliberately not a version.
_DOTTED = re.compile(r"(?<![\d.])(\d+(?:\.\d+)+)")
_NUMERIC = re.compile(r"^\d+(?:\.\d+)+$")
_YEAR = re.compile(r"^20\d\d(?:\.\d+)*$")

#: A version is plausible for a library only if it looks like that library's numbering; this is
#: what catches upstream's path-derived GCC versions ("8.4.1" as an MKL version).
_PLAUSIBLE: dict[str, re.Pattern[str]] = {
    "MKL": re.compile(r"^20\d\d(?:\.\d+)*$"),
    "oneMKL": re.compile(r"^20\d\d(?:\.\d+)*$"),
    "OpenBLAS": re.compile(r"^0\.\d+\.\d+"),
    "BLAS": re.compile(r"^3\.\d+"),
    "LAPACK": re.compile(r"^3\.\d+"),
    "ScaLAPACK": re.compile(r"^2\.\d+"),
    "FFTW": re.compile(r"^3\.\d+"),
    "IntelMPI": re.compile(r"^20\d\d(?:\.\d+)*$"),
}


def first_version(text: str) -> str | None:
    """The first dotted number in ``text`` (``"Docker version 28.2.2, build x"`` -> ``28.2.2``)."""
    match = _DOTTED.search(text)
    return match.group(1) if match else None


def is_sentence(value: str) -> bool:
    """Whether ``value`` is one of the placeholders that mean "no version known"."""
    return value.strip().casefold() in SENTENCES


def clean_version(value: object, *, require_digit: bool = True) -> str | None:
    """Return ``value`` as a version string, or ``None`` when it is no version at all.

    Sentences, blanks, non-strings and anything containing whitespace become ``None``.
    ``require_digit=False`` is for module versions, which may be labels ("master-git.1793e43").
    """
    if isinstance(value, int | float) and not isinstance(value, bool):
        value = str(value)
    if not isinstance(value, str):
        return None
    text = value.strip()
    if is_sentence(text) or any(ch.isspace() for ch in text):
        return None
    if require_digit and not any(ch.isdigit() for ch in text):
        return None
    return text


def plausible_version(name: str, version: str) -> bool:
    """Whether ``version`` looks like a version of library ``name`` (unknown names: yes)."""
    pattern = _PLAUSIBLE.get(name)
    return pattern is None or bool(pattern.match(version))


def _component_version(component: str, token: str) -> str | None:
    """``openblas-0.3.28-fzip767`` with token ``openblas`` -> ``0.3.28`` (anchored at start)."""
    pattern = rf"^{re.escape(token)}[-_](\d+(?:\.\d+)+)(?:[-_+][\w.+-]*)?$"
    match = re.match(pattern, component, flags=re.IGNORECASE)
    return match.group(1) if match else None


def version_from_path(path: str, tokens: Sequence[str]) -> str | None:
    """A version taken from a path only where the path names the library itself.

    Accepted shapes, for one of ``tokens`` (the library's own package names):
    ``.../<token>-<version>[-<hash>]/...`` (Spack, EasyBuild) and ``.../<token>/<version>/...``
    (oneAPI ``mkl/2023.2.0``, Cray ``mpich/8.1.29``). Anything else, in particular the compiler
    directory of a Spack prefix (``gcc-13.3.0``), gives ``None``.
    """
    parts = PurePosixPath(path).parts
    for index, component in enumerate(parts):
        for token in tokens:
            found = _component_version(component, token)
            if found:
                return found
            nxt = parts[index + 1] if index + 1 < len(parts) else ""
            if component.casefold() == token.casefold() and _NUMERIC.match(nxt):
                return nxt
    return None


def oneapi_version_from_path(path: str) -> str | None:
    """The oneAPI release in a compiler path (``compiler/2024.2``), if it is a year version.

    ``compiler/latest`` and site release numbers (Aurora's ``24.180.3``) give ``None``.
    """
    found = version_from_path(path, ("intel-oneapi-compilers", "compiler", "oneapi"))
    return found if found and _YEAR.match(found) else None


def soname_version(filename: str, min_parts: int = 3) -> str | None:
    """The full version after ``.so.`` (``libcufft.so.11.0.2.54`` -> ``11.0.2.54``).

    Only meaningful for libraries whose soname carries their release (NVIDIA's math libraries);
    libtool numbering (``libfftw3.so.3.6.10``) is not a release, so callers choose.
    """
    _, sep, tail = filename.partition(".so.")
    if not sep or not _NUMERIC.match(tail) or tail.count(".") + 1 < min_parts:
        return None
    return tail
