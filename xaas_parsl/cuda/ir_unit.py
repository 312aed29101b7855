"""CUDA units of an IR bundle: device code compiled once into a fat binary, host side as IR.

A ``.cu`` compile command of a CUDA configuration (clang++-19 ``-x cuda`` with one
``--cuda-gpu-arch`` per architecture, as CMake writes it for ``CMAKE_CUDA_ARCHITECTURES``
``70-real;80-real;90``) is split at IR-build time into:

* one device compile per architecture (``--cuda-device-only``: clang's NVPTX back end, then
  CUDA 12.4's ``ptxas``) giving SASS, plus PTX for the architectures the command keeps PTX
  for, packed by NVIDIA's ``fatbinary`` into one fat binary;
* one host compile to LLVM IR that embeds that fat binary (``-fcuda-include-gpubinary``, what
  clang's driver does internally), emitted before optimisation like every other IR unit.

The host IR goes into the store as an ordinary, non-retargetable IR unit, so deployment lowers
it with ``clang -x ir`` like the C++ units: it needs no CUDA toolchain on the deploying machine
and never compiles device code again. The fat binary is stored too, for inspection.
"""

from __future__ import annotations

import hashlib
import json
import re
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from xaas_parsl.ir.commands import CompileCommand, strip_for
from xaas_parsl.ir.fatbin import gpu_targets
from xaas_parsl.ir.store import Store
from xaas_parsl.ir.tools import parallel, run_tool

EMIT_FLAGS = ["-mllvm", "-disable-llvm-optzns", "-emit-llvm", "-c"]
_ARCH = re.compile(r"^--cuda-gpu-arch=(sm_\d+[af]?)$")
_NO_PTX = re.compile(r"^--no-cuda-include-ptx=(sm_\d+[af]?)$")


def is_cuda(cmd: CompileCommand) -> bool:
    """Whether ``cmd`` compiles CUDA with clang (``-x cuda`` or a ``.cu`` source)."""
    langs = [cmd.argv[i + 1] for i, a in enumerate(cmd.argv[:-1]) if a == "-x"]
    return (langs[-1] == "cuda") if langs else cmd.file.endswith(".cu")


@dataclass(frozen=True)
class CudaPlan:
    """The device and host jobs of one CUDA unit."""

    base: tuple[str, ...]  # the command without output, source, -c and the arch options
    archs: tuple[str, ...]  # sm_70, sm_80, sm_90: SASS for each
    ptx: tuple[str, ...]  # sm_90: PTX kept for these (compute_90)
    file: str
    directory: str

    def device_argv(self, arch: str, out: Path, ptx: bool) -> list[str]:
        """One architecture's device compile: SASS (``-c``, via ptxas) or PTX (``-S``)."""
        return [*self.base, f"--cuda-gpu-arch={arch}", "--cuda-device-only",
                "-S" if ptx else "-c", self.file, "-o", str(out)]

    def host_argv(self, fatbin: Path, out: Path) -> list[str]:
        """The host compile to IR with the fat binary embedded."""
        arch_args = [f"--cuda-gpu-arch={a}" for a in self.archs]
        return [*self.base, *arch_args, "--cuda-host-only", "-Xclang",
                "-fcuda-include-gpubinary", "-Xclang", str(fatbin), *EMIT_FLAGS, self.file,
                "-o", str(out)]


def plan_unit(cmd: CompileCommand) -> CudaPlan:
    """Split a clang CUDA command into its architectures and the rest."""
    archs: list[str] = []
    no_ptx: set[str] = set()
    base: list[str] = []
    for arg in strip_for(cmd, False):
        if match := _ARCH.match(arg):
            archs.append(match.group(1))
        elif match := _NO_PTX.match(arg):
            no_ptx.add(match.group(1))
        else:
            base.append(arg)
    archs = list(dict.fromkeys(archs)) or ["sm_52"]  # clang's default when none is given
    return CudaPlan(tuple(base), tuple(archs), tuple(a for a in archs if a not in no_ptx),
                    cmd.file, cmd.directory)


def fatbinary_argv(tool: Path, out: Path, cubins: dict[str, Path], ptx: dict[str, Path]
                   ) -> list[str]:
    """NVIDIA's fatbinary (CUDA 13 spelling) packing SASS and PTX images."""
    images = [f"--image3=kind=elf,sm={a.removeprefix('sm_')},file={p}" for a, p in cubins.items()]
    images += [f"--image3=kind=ptx,sm={a.removeprefix('sm_')},file={p}" for a, p in ptx.items()]
    return [str(tool), "-64", "--create", str(out), *images]


def cache_key(plan: CudaPlan, build_dir: str) -> str:
    """Key of a CUDA unit: its command (build tree normalised) and the source's preprocessed
    host and per-architecture device texts (headers included)."""
    texts = [run_tool([*plan.base, "--cuda-host-only", "-E", plan.file, "-o", "-"],
                      f"preprocess {plan.file} (host)", plan.directory)]
    for arch in plan.archs:
        texts.append(run_tool([*plan.base, f"--cuda-gpu-arch={arch}", "--cuda-device-only",
                               "-E", plan.file, "-o", "-"],
                              f"preprocess {plan.file} ({arch})", plan.directory))
    argv = [a.replace(build_dir, "@BUILD@") for a in (*plan.base, *plan.archs, *plan.ptx)]
    digests = [hashlib.sha256(t.encode()).hexdigest() for t in texts]
    return hashlib.sha256(json.dumps([argv, digests]).encode()).hexdigest()


def build_unit(plan: CudaPlan, store: Store, fatbinary: Path, jobs: int = 2,
               quiet: bool = True) -> dict[str, Any]:
    """Compile the device code once (per architecture, in parallel), pack it, emit host IR.

    Returns ``{"ir", "fatbin", "gpu_targets", "device_jobs"}`` (store hashes and names).
    """
    store.root.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix=".cuda-", dir=store.root) as tmp:
        work = Path(tmp)
        jobs_list = [(a, False) for a in plan.archs] + [(a, True) for a in plan.ptx]

        def device(job: tuple[str, bool]) -> tuple[str, bool, Path]:
            arch, ptx = job
            out = work / f"{arch}.{'ptx' if ptx else 'cubin'}"
            run_tool(plan.device_argv(arch, out, ptx),
                     f"device code {plan.file} ({'PTX' if ptx else 'SASS'} {arch})",
                     plan.directory)
            return arch, ptx, out

        done = parallel(jobs_list, device, "CUDA device code", jobs, quiet)
        cubins = {a: p for a, is_ptx, p in done if not is_ptx}
        ptxs = {a: p for a, is_ptx, p in done if is_ptx}
        fatbin = work / "device.fatbin"
        run_tool(fatbinary_argv(fatbinary, fatbin, cubins, ptxs), f"fatbinary {plan.file}")
        targets = gpu_targets(fatbin)
        host = work / "host.bc"
        run_tool(plan.host_argv(fatbin, host), f"host IR {plan.file}", plan.directory)
        fat_digest = store.add(fatbin)
        ir_digest = store.add(host)
    return {"ir": ir_digest, "fatbin": fat_digest, "gpu_targets": targets,
            "device_jobs": len(jobs_list)}


class _Unit(Protocol):
    """What ``ir.bundle.Unit`` offers (not imported: bundle imports this module's caller)."""

    @property
    def config(self) -> str: ...
    @property
    def build_dir(self) -> str: ...
    @property
    def command(self) -> CompileCommand: ...


def build_cuda_units(units: list[Any], native: dict[str, str], store: Store, jobs: int,
                     quiet: bool) -> dict[str, dict[str, Any]]:
    """Build every CUDA unit among ``native`` (``config/output`` keys, which are removed
    from it) and return their manifest entries by the same keys. Units whose key is in
    ``store/index.json`` with intact outputs are not rebuilt."""
    from xaas_parsl.cuda.toolchain import locate_toolchain
    from xaas_parsl.fileio import load_json, write_json

    todo: list[_Unit] = [u for u in units if f"{u.config}/{u.command.output}" in native
                         and is_cuda(u.command)]
    if not todo:
        return {}
    fatbinary = locate_toolchain().fatbinary
    index_path = store.root / "index.json"
    index: dict[str, Any] = load_json(index_path) if index_path.is_file() else {}
    entries: dict[str, dict[str, Any]] = {}
    for unit in todo:
        plan = plan_unit(unit.command)
        key = "cuda:" + cache_key(plan, unit.build_dir)
        known = index.get(key)
        if isinstance(known, dict) and all(store.intact(known.get(k, "")) for k in
                                           ("ir", "fatbin")):
            built, fresh = known, False
        else:
            built, fresh = build_unit(plan, store, fatbinary, jobs, quiet), True
            index[key] = built
        name = f"{unit.config}/{unit.command.output}"
        del native[name]
        entries[name] = {
            "output": unit.command.output, "file": unit.command.file, "kind": "ir",
            "ir": built["ir"], "retargetable": False, "shared_with": [unit.config],
            "fatbin": built["fatbin"], "gpu_targets": built["gpu_targets"],
            "device_jobs": built["device_jobs"], "emitted": fresh,
            "reason": "CUDA: device code compiled once into a fat binary ("
                      f"{', '.join(built['gpu_targets'])}); host side as IR"}
    write_json(index_path, index)
    from xaas_parsl.cuda.deploy import bundle_runtime

    bundle_runtime(store.root.parent, locate_toolchain())
    return entries
