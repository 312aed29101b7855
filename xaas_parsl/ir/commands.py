"""Parsing and classifying ``compile_commands.json`` entries (pure functions, no tools run).

The IR bundle decides what can be shared between configurations by comparing compile commands
argument class by argument class, so every argument lands in exactly one class. Definitions and
include paths only act through the preprocessor, so once two commands' preprocessed texts are
equal they no longer matter (that is how this improves on upstream, which compares them
literally and so never shares a file that merely *receives* an unused ``-DSIMD_NAME=...``).
"""

from __future__ import annotations

import re
import shlex
from dataclasses import dataclass, field
from pathlib import Path, PurePath
from typing import Any

from xaas_parsl.errors import InputError

CLANG_RE = re.compile(r"^clang(\+\+)?(-\d+(\.\d+)*)?$")
NATIVE_SUFFIXES = {".s", ".S", ".asm", ".cu", ".f", ".F", ".f90", ".F90", ".f95", ".f03", ".for"}
NATIVE_LANGS = {"cuda", "hip", "assembler", "assembler-with-cpp", "f95", "fortran"}
# Options taking their value as the next argument, by class.
_PAIRED = {"-o": "output", "-MT": "deps", "-MF": "deps", "-MQ": "deps", "-I": "includes",
           "-isystem": "includes", "-iquote": "includes", "-idirafter": "includes",
           "-D": "definitions", "-U": "definitions", "-include": "includes", "-x": "other",
           "-Xclang": "other", "-mllvm": "other", "--target": "other", "-target": "other"}
_DEPS = {"-MD", "-MMD", "-MP", "-M", "-MM"}


@dataclass(frozen=True)
class ArgClasses:
    """A compile command's arguments by class (order kept inside each class)."""

    definitions: tuple[str, ...] = ()
    includes: tuple[str, ...] = ()
    optimisation: tuple[str, ...] = ()
    tuning: tuple[str, ...] = ()
    fflags: tuple[str, ...] = ()
    other: tuple[str, ...] = ()
    ignored: tuple[str, ...] = ()

    def opt_level(self) -> str:
        """The last ``-O`` flag (clang's rule), ``-O0`` when there is none."""
        return self.optimisation[-1] if self.optimisation else "-O0"

    def to_dict(self) -> dict[str, list[str]]:
        """JSON form (for manifests and ``explain``)."""
        return {k: list(getattr(self, k)) for k in
                ("definitions", "includes", "optimisation", "tuning", "fflags", "other")}


@dataclass(frozen=True)
class CompileCommand:
    """One ``compile_commands.json`` entry, parsed."""

    directory: str
    file: str
    output: str
    argv: tuple[str, ...]
    classes: ArgClasses = field(compare=False)

    @property
    def target(self) -> list[str]:
        """The command's ``--target`` arguments (empty for a host build): lowering and
        re-targeting must compile for the same triple as the unit."""
        out: list[str] = []
        for i, arg in enumerate(self.argv):
            if arg.startswith("--target="):
                out.append(arg)
            elif arg in ("--target", "-target") and i + 1 < len(self.argv):
                out.append(f"--target={self.argv[i + 1]}")
        return out[-1:]

    @property
    def compiler(self) -> str:
        """The compiler as written in the command."""
        return self.argv[0]

    def native_reason(self) -> str | None:
        """Why this unit cannot become IR (it is compiled per configuration), or ``None``."""
        suffix = PurePath(self.file).suffix
        if suffix in NATIVE_SUFFIXES:
            return f"{suffix} source (assembly/CUDA/Fortran)"
        langs = [self.argv[i + 1] for i, a in enumerate(self.argv[:-1]) if a == "-x"]
        if any(lang in NATIVE_LANGS for lang in langs):
            return f"language {langs[-1]}"
        if any(a.startswith("-flto") and a != "-fno-lto" for a in self.argv):
            return "-flto (the object is already IR)"
        return None


def _split(entry: dict[str, Any], where: str) -> list[str]:
    if isinstance(entry.get("arguments"), list):
        return [str(a) for a in entry["arguments"]]
    if isinstance(entry.get("command"), str):
        try:
            return shlex.split(entry["command"])
        except ValueError as exc:
            raise InputError(f"cannot parse the command of {where}: {exc}") from None
    raise InputError(f"{where} has neither 'arguments' nor 'command'")


def is_source(arg: str, directory: str, source: str) -> bool:
    """Whether ``arg`` names the entry's source file (relative or absolute spelling)."""
    return arg == source or Path(directory, arg) == Path(directory, source)


def classify(argv: list[str] | tuple[str, ...], source: str, directory: str = "") -> ArgClasses:
    """Sort ``argv[1:]`` into classes; the source, ``-c``, ``-o`` and dependency flags are
    ignored (they differ between build trees without changing the code)."""
    out: dict[str, list[str]] = {k: [] for k in
                                 ("definitions", "includes", "optimisation", "tuning", "fflags",
                                  "other", "ignored", "output", "deps")}
    args = list(argv[1:])
    i = 0
    while i < len(args):
        arg = args[i]
        if arg in _PAIRED and i + 1 < len(args):
            kind = _PAIRED[arg]
            out[kind].extend([arg, args[i + 1]])
            i += 2
            continue
        if arg == "-c" or arg in _DEPS or is_source(arg, directory, source):
            kind = "ignored"
        elif arg.startswith(("-MT", "-MF", "-MQ", "-o")) and len(arg) > 2 and arg[:2] != "-O":
            kind = "deps" if arg.startswith("-M") else "output"
        elif arg.startswith(("-D", "-U")):
            kind = "definitions"
        elif arg.startswith(("-I", "-isystem", "-iquote", "-include")):
            kind = "includes"
        elif arg.startswith("-O"):
            kind = "optimisation"
        elif arg.startswith("--target="):
            kind = "other"  # the ISA family: equal in a bundle, kept when tuning is dropped
        elif arg.startswith(("-march", "-mtune", "-mcpu", "-m")):
            kind = "tuning"
        elif arg.startswith("-f"):
            kind = "fflags"
        elif arg.startswith("-W") or arg in ("-g", "-w"):
            kind = "ignored"
        else:
            kind = "other"
        out[kind].append(arg)
        i += 1
    return ArgClasses(
        definitions=tuple(out["definitions"]), includes=tuple(out["includes"]),
        optimisation=tuple(out["optimisation"]), tuning=tuple(out["tuning"]),
        fflags=tuple(out["fflags"]), other=tuple(out["other"]),
        ignored=tuple(out["ignored"] + out["output"] + out["deps"]),
    )


def parse_entry(entry: dict[str, Any], origin: str | Path) -> CompileCommand:
    """Parse one entry; a non-clang compiler or a missing source is an ``InputError``."""
    if not isinstance(entry, dict) or "file" not in entry or "directory" not in entry:
        raise InputError("compile_commands entry without 'file'/'directory'", origin)
    directory = str(entry["directory"])
    source = str(entry["file"])
    argv = _split(entry, source)
    if not argv:
        raise InputError(f"empty compile command for {source}", origin)
    name = PurePath(argv[0]).name
    if not CLANG_RE.match(name):
        raise InputError(f"unit {source} is compiled by {argv[0]!r}, not clang: IR bundles "
                         "need clang (configure with -DCMAKE_CXX_COMPILER=clang++-19)", origin)
    output = entry.get("output")
    if output is None:
        idx = [i for i, a in enumerate(argv[:-1]) if a == "-o"]
        if not idx:
            raise InputError(f"unit {source}: no 'output' and no -o in the command", origin)
        output = argv[idx[-1] + 1]
    if not Path(directory, source).is_file():
        raise InputError(f"unit {output}: source {source} does not exist", origin)
    classes = classify(argv, source, directory)
    return CompileCommand(directory, source, str(output), tuple(argv), classes)


def strip_for(cmd: CompileCommand, drop_tuning: bool) -> list[str]:
    """The command without output, ``-c``, dependency flags and source (and tuning flags when
    ``drop_tuning``): the base every derived command (preprocess, emit IR) starts from."""
    drop: set[int] = set()
    args = list(cmd.argv)
    i = 1
    while i < len(args):
        arg = args[i]
        if arg in ("-o", "-MT", "-MF", "-MQ"):
            drop.update({i, i + 1})
            i += 2
            continue
        joined_dep = arg.startswith(("-MT", "-MF", "-MQ")) and len(arg) > 3
        tuning = drop_tuning and arg in cmd.classes.tuning
        if arg == "-c" or arg in _DEPS or joined_dep or tuning or is_source(
                arg, cmd.directory, cmd.file):
            drop.add(i)
        i += 1
    return [a for k, a in enumerate(args) if k not in drop]


def normalised(cmd: CompileCommand, build_dir: str) -> tuple[str, ...]:
    """The command with the build tree's path replaced, for comparing across trees."""
    return tuple(a.replace(build_dir, "@BUILD@") for a in strip_for(cmd, False))
