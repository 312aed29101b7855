"""Turning specialization-point build flags into exact CMake arguments.

Upstream files write boolean options as a bare ``-DOPTION`` (no ``=ON``), multi-choice options
as ``-DOPTION=value`` and sometimes several settings in one string
(``-DGGML_BLAS=ON -DGGML_BLAS_VENDOR=OpenBLAS``). CMake itself rejects ``-DOPTION`` without a
value, so every flag is split with ``shlex`` and completed to ``-DOPTION=ON``.
"""

from __future__ import annotations

import shlex


def cmake_args(flag: str | None, value: str = "ON") -> list[str]:
    """Exact CMake arguments for a spec flag; a bare ``-DX`` becomes ``-DX=<value>``."""
    if not flag:
        return []
    out: list[str] = []
    for token in shlex.split(flag):
        if token.startswith("-D") and "=" not in token:
            out.append(f"{token}={value}")
        else:
            out.append(token)
    return out


def option_name(flag: str | None) -> str | None:
    """The CMake variable a flag sets (first ``-D`` token), e.g. ``GMX_SIMD``."""
    if not flag:
        return None
    for token in shlex.split(flag):
        if token.startswith("-D"):
            return token[2:].split("=", 1)[0].split(":", 1)[0]
    return None


def option_value(flag: str | None) -> str | None:
    """The value a flag assigns to its variable (``None`` for a bare boolean flag)."""
    if not flag:
        return None
    for token in shlex.split(flag):
        if token.startswith("-D"):
            return token.split("=", 1)[1] if "=" in token else None
    return None


def is_multichoice(flag: str | None) -> bool:
    """Whether a flag selects a value of a multi-choice option (``-DX=value``, not ``=ON``)."""
    value = option_value(flag)
    return value is not None and value.upper() not in {"ON", "OFF", "TRUE", "FALSE", "1", "0"}


def dedupe_args(args: list[str]) -> list[str]:
    """Keep the last setting of each ``-D`` variable, in first-seen order; others verbatim."""
    positions: dict[str, int] = {}
    out: list[str] = []
    for arg in args:
        name = option_name(arg) if arg.startswith("-D") else None
        if name is None:
            out.append(arg)
        elif name in positions:
            out[positions[name]] = arg
        else:
            positions[name] = len(out)
            out.append(arg)
    return out
