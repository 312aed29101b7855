"""Vocabularies and name analysis shared by the classification rules.

Options are classified by *what they are named after*. An option name is split into ``_``
tokens; a **switch** for library ``L`` is a boolean option whose trailing tokens spell ``L``
(``GGML_CUDA``, ``ENABLE_MPI``, ``GMX_THREAD_MPI``, ``GGML_CPU_KLEIDIAI``) and whose other tokens
are a namespace (the first token) plus *neutral* words (``ENABLE``, ``USE``, ``WITH``, ``CPU``...).
That excludes sub-options of a backend (``GGML_CUDA_FORCE_CUBLAS``: ``CUDA`` is followed by more
words) and switches about something else (``SUNDIALS_LOGGING_ENABLE_MPI``: ``LOGGING`` is not
neutral). Tokens that say *where* a dependency comes from (``EXTERNAL``, ``SYSTEM``, ``OWN``...)
are not neutral either: those options are internal-build choices, not library switches.

Entry names use the canonical spelling of the vocabulary (``OpenCL``, ``Vulkan``); words that are
not in it take the project's own spelling from the option's doc string (``ggml: use zDNN``).
"""

from __future__ import annotations

import re

NEUTRAL = frozenset({"ENABLE", "ENABLED", "USE", "WITH", "BUILD", "PKG", "HAVE", "CPU",
                     "SUPPORT", "ACTIVATE", "TPL", "LIB"})

#: Accelerator and offload backends (and CPU offload libraries builds treat as backends).
BACKENDS: dict[str, str] = {
    "CUDA": "CUDA", "HIP": "HIP", "ROCM": "ROCm", "SYCL": "SYCL", "OPENCL": "OpenCL",
    "VULKAN": "Vulkan", "METAL": "Metal", "MUSA": "MUSA", "CANN": "CANN", "WEBGPU": "WebGPU",
    "ZDNN": "zDNN", "VIRTGPU": "VirtGPU", "HEXAGON": "Hexagon", "ZENDNN": "ZenDNN",
    "OPENVINO": "OpenVINO", "KLEIDIAI": "KleidiAI", "COREML": "CoreML", "OPENACC": "OpenACC",
    "OPENMP_DEVICE": "OpenMP-offload", "OPENMPTARGET": "OpenMPTarget",
    "OPENMP_TARGET": "OpenMPTarget", "OMPTARGET": "OpenMPTarget", "RAJA": "RAJA",
    "KOKKOS": "Kokkos", "ONEAPI": "oneAPI",
    "LEVEL_ZERO": "LevelZero", "LEVELZERO": "LevelZero", "QNN": "QNN", "TENSORRT": "TensorRT",
    "DIRECTML": "DirectML", "ACPP": "AdaptiveCpp", "ADAPTIVECPP": "AdaptiveCpp",
    "HIPSYCL": "hipSYCL", "DPCPP": "DPC++",
}

#: Parallel programming libraries.
PARALLEL: dict[str, str] = {
    "MPI": "MPI", "THREAD_MPI": "Thread-MPI", "TMPI": "Thread-MPI", "OPENMP": "OpenMP",
    "OMP": "OpenMP", "PTHREAD": "Pthreads", "PTHREADS": "Pthreads", "TBB": "TBB",
    "NVSHMEM": "NVSHMEM", "OPENSHMEM": "OpenSHMEM", "HPX": "HPX",
}

#: Linear-algebra libraries (BLAS itself is handled with its vendor variable).
LINEAR_ALGEBRA: dict[str, str] = {
    "BLAS": "BLAS", "LAPACK": "LAPACK", "LAPACKE": "LAPACKE", "MKL": "MKL", "ONEMKL": "oneMKL",
    "ACCELERATE": "Accelerate", "OPENBLAS": "OpenBLAS", "BLIS": "BLIS", "FLEXIBLAS": "FlexiBLAS",
    "ATLAS": "ATLAS", "ESSL": "ESSL", "ARMPL": "ArmPL", "SCALAPACK": "ScaLAPACK", "ELPA": "ELPA",
    "MAGMA": "MAGMA", "KLU": "KLU", "SUPERLU": "SuperLU", "SUPERLUDIST": "SuperLU_DIST",
    "SUPERLU_DIST": "SuperLU_DIST", "SUPERLUMT": "SuperLU_MT", "SUPERLU_MT": "SuperLU_MT",
    "GINKGO": "Ginkgo", "KOKKOS_KERNELS": "KokkosKernels", "KOKKOSKERNELS": "KokkosKernels",
    "EIGEN": "Eigen", "SLATE": "SLATE",
    "STRUMPACK": "STRUMPACK", "MUMPS": "MUMPS", "ARPACK": "ARPACK", "CUSOLVER": "cuSOLVER",
}

#: Tokens meaning "the dependency is built from the project's own copy" (value: polarity).
INTERNAL_MARKERS: dict[str, bool] = {"OWN": True, "BUNDLED": True, "INTERNAL": True,
                                      "VENDORED": True, "SYSTEM": False, "EXTERNAL": False}

#: Values of a multichoice GPU option meaning "no GPU".
NO_CHOICE = frozenset({"OFF", "NONE", "NO", "FALSE", "0", "", "DISABLED", "CPU"})

_WORD = re.compile(r"[A-Za-z][A-Za-z0-9+.\-]*")
_BACKEND_DOC = re.compile(
    r"\b(?:use|enable|build|support)\s+(?:the\s+)?([A-Za-z][\w+.\-]*)\s+backend\b", re.I
)


def tokens(name: str) -> list[str]:
    """Upper-case ``_`` tokens of an option name (``GGML_AVX512_VBMI`` → 3 tokens)."""
    return [t for t in name.upper().split("_") if t]


def squash(text: str) -> str:
    """Upper case without separators (``SuperLU_DIST`` → ``SUPERLUDIST``)."""
    return re.sub(r"[^A-Z0-9+]", "", text.upper())


def tails(name: str) -> list[tuple[str, int]]:
    """Candidate library parts of a switch name: (tail, tokens used), longest first.

    The tokens before the tail must be a namespace (first token) followed by neutral words.
    """
    toks = tokens(name)
    if len(toks) == 1:
        return [(toks[0], 1)]
    out: list[tuple[str, int]] = []
    for start in range(1, len(toks)):
        if all(t in NEUTRAL for t in toks[1:start]):
            out.append(("_".join(toks[start:]), len(toks) - start))
    if toks[0] in NEUTRAL and not out:
        out.append(("_".join(toks), len(toks)))
    return out


def match_switch(name: str, vocab: dict[str, str]) -> tuple[str, str] | None:
    """``(vocabulary key, canonical name)`` when ``name`` is a switch for a vocabulary item."""
    squashed = {squash(k): k for k in vocab}
    for tail, _count in tails(name):
        key = tail if tail in vocab else squashed.get(squash(tail))
        if key is not None:
            return key, vocab[key]
    return None


def doc_spelling(word: str, doc: str) -> str:
    """The doc string's spelling of ``word`` (case/separators ignored), else ``word``."""
    target = squash(word)
    for m in _WORD.finditer(doc or ""):
        if squash(m.group(0)) == target:
            return m.group(0).strip(".-")
    return word


def doc_backend(name: str, doc: str) -> str | None:
    """A backend the doc string names for this switch (``ggml: use ET backend``)."""
    m = _BACKEND_DOC.search(doc or "")
    if not m:
        return None
    word = m.group(1)
    toks = tokens(name)
    if squash(word) in {"CPU", "DEFAULT", "REFERENCE", "GENERIC"} or not toks:
        return None
    return word if squash(word) == squash(toks[-1]) else None


def canonical(vocab: dict[str, str], key: str) -> str:
    return vocab.get(key) or key
