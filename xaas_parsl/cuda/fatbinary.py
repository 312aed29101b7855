"""``fatbinary`` as clang-19 calls it, run by NVIDIA's CUDA 13 ``fatbinary``.

clang-19 packs its per-architecture images with ``fatbinary -64 --create OUT
--image=profile=sm_70,file=X.cubin --image=profile=compute_90,file=X.ptx``; CUDA 13's
``fatbinary`` (the only one on PyPI) spells images ``--image3=kind=elf,sm=70,file=...`` and
rejects the old option. :func:`translate` maps one spelling onto the other (pure, tested);
``main`` runs the real tool, so the fat binary is NVIDIA's own format, not a re-implementation.
"""

from __future__ import annotations

import os
import re
import sys

_IMAGE = re.compile(r"^--image=profile=(?P<kind>sm|compute)_(?P<arch>\d+[af]?),file=(?P<file>.+)$")


def translate(argv: list[str]) -> list[str]:
    """clang-19's fatbinary arguments in CUDA 13's spelling (others pass unchanged)."""
    out: list[str] = []
    for arg in argv:
        match = _IMAGE.match(arg)
        if match is None:
            out.append(arg)
            continue
        kind = "elf" if match.group("kind") == "sm" else "ptx"
        out.append(f"--image3=kind={kind},sm={match.group('arch')},file={match.group('file')}")
    return out


def main() -> None:
    """``fatbinary.py NVIDIA_FATBINARY ARGS...``: exec the tool with translated arguments.

    Run as a file (not ``-m``), with the tool's path from ``bin/fatbinary``, so it works with
    any ``PYTHONPATH`` (clang runs it from inside CMake and ninja).
    """
    if len(sys.argv) < 2:
        sys.exit("usage: fatbinary.py NVIDIA_FATBINARY [ARGS...]")
    tool = sys.argv[1]
    os.execv(tool, [tool, *translate(sys.argv[2:])])


if __name__ == "__main__":
    main()
