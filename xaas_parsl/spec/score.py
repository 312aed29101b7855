"""Precision / recall / F1 of a specialization-points file against a ground truth.

Why this exact metric: the XaaS paper compares LLM extractions with a ground truth using a small
scorer in its artifact (``spcl/xaas-containers-artifact``: ``analysis/llms/
evaluate_specialization_points.py`` for GROMACS and ``analysis/llms/
evaluate_specialization_points_llama.py`` for llama.cpp). Our analyser must be judged on the same
scale as those published numbers (GROMACS median 0.98, llama.cpp 0.76), so this module mirrors the
llama variant (the superset):

* Both files are flattened to ``section.entry.field -> value`` over the scored fields only
  (:data:`ENTRY_FIELDS`, plus ``gpu_build``, ``build_system`` and ``internal_build``). Backend
  ``minimum_version``, BLAS ``condition``, ``compilers`` and the free lists are not scored.
* Flags are stripped; an empty flag is ``None``; a ``-D...=ON`` flag loses its ``=ON``.
* ``build_system.type`` and ``internal_build.library_name`` are compared lower-cased with ``-``
  and spaces as ``_`` (upstream's ``normalize_key`` applied to those values).
* Over the union of paths: equal non-null values are TP; both non-null but different is one FP
  (not also an FN); non-null only in the prediction is FP; non-null only in the ground truth is
  FN; null (or absent) on both sides counts nothing. ``P = TP/(TP+FP)``, ``R = TP/(TP+FN)``, 0.0
  when the denominator is 0, F1 their harmonic mean (0.0 when both are 0).

Deliberate differences (documented in ``xaas_parsl/spec/ground_truth/README.md``): upstream always
lower-cases entry names, which merges GROMACS's FFT entries ``mkl`` (CPU) and ``MKL`` (GPU) and so
silently drops three ground-truth items; we compare names exactly unless ``normalize_names`` is
asked for, and then never pair two ground-truth entries with one predicted entry. Upstream's
``=ON`` removal is ``flag.replace("=ON", "")`` once the flag ends in ``=ON``; we remove ``=ON``
only where it ends a ``-D`` token, so a value such as ``=ONEAPI`` in the same flag is not mangled.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

#: Sections made of named entries, and the fields of each entry that upstream scores.
ENTRY_FIELDS: dict[str, tuple[str, ...]] = {
    "parallel_programming_libraries": ("used_as_default", "build_flag"),
    "gpu_backends": ("used_as_default", "build_flag"),
    "linear_algebra_libraries": ("used_as_default", "build_flag"),
    "FFT_libraries": ("built-in", "used_as_default", "build_flag"),
    "simd_vectorization": ("build_flag", "default"),
}
FLAG_FIELDS = frozenset({"build_flag"})

Path = tuple[str, ...]
MismatchKind = Literal["different", "extra", "missing"]

_ON_SUFFIX = re.compile(r"=ON(?=\s|$)")
_SEPARATORS = re.compile(r"[\s_.\-]+")


@dataclass(frozen=True)
class Mismatch:
    """One scored path that is not a TP: ``different``/``extra`` are FPs, ``missing`` an FN."""

    path: str
    predicted: Any
    expected: Any
    kind: MismatchKind


@dataclass(frozen=True)
class ScoreResult:
    """Counts and ratios of one comparison, plus every non-matching path for diagnosis."""

    tp: int
    fp: int
    fn: int
    precision: float
    recall: float
    f1: float
    mismatches: list[Mismatch] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready form (benchmark result files)."""
        return {
            "tp": self.tp, "fp": self.fp, "fn": self.fn,
            "precision": self.precision, "recall": self.recall, "f1": self.f1,
            "mismatches": [m.__dict__ for m in self.mismatches],
        }


def normalize_flag(flag: Any) -> Any:
    """Upstream's flag normalisation: strip; empty → None; ``-D...=ON`` → without ``=ON``."""
    if not flag:
        return None
    if not isinstance(flag, str):
        return flag
    flag = flag.strip()
    if not flag:
        return None
    if re.match(r"-D.*=ON$", flag, re.DOTALL):
        return _ON_SUFFIX.sub("", flag)
    return flag


def _normalize_key(value: Any) -> Any:
    """Upstream's ``normalize_key`` for the two scored string values (None stays None)."""
    if not isinstance(value, str):
        return value
    return value.replace("-", "_").replace(" ", "_").lower()


def _section(spec: Mapping[str, Any], name: str) -> Mapping[str, Any] | None:
    value = spec.get(name)
    if value is None and name == "FFT_libraries":
        value = spec.get("fft_libraries")  # upstream's prompt spelled it this way
    return value if isinstance(value, Mapping) else None


def flatten_paths(spec: Mapping[str, Any]) -> dict[Path, Any]:
    """The scored items keyed by path tuples (entry names kept verbatim, dots allowed)."""
    flat: dict[Path, Any] = {}
    gpu = _section(spec, "gpu_build")
    if gpu is not None:
        flat["gpu_build", "value"] = gpu.get("value")
        flat["gpu_build", "build_flag"] = normalize_flag(gpu.get("build_flag"))
    for section, fields in ENTRY_FIELDS.items():
        entries = _section(spec, section) or {}
        for name, info in entries.items():
            if not isinstance(info, Mapping):
                continue
            for fld in fields:
                value = info.get(fld)
                flat[section, str(name), fld] = (
                    normalize_flag(value) if fld in FLAG_FIELDS else value
                )
    build = _section(spec, "build_system")
    if build is not None:
        flat["build_system", "type"] = _normalize_key(build.get("type"))
        flat["build_system", "minimum_version"] = build.get("minimum_version")
    internal = _section(spec, "internal_build")
    if internal is not None:
        flat["internal_build", "library_name"] = _normalize_key(internal.get("library_name"))
        flat["internal_build", "build_flag"] = normalize_flag(internal.get("build_flag"))
    return flat


def _path_str(path: Path) -> str:
    return ".".join(path)


def flatten(spec: Mapping[str, Any]) -> dict[str, Any]:
    """``flatten_paths`` with dotted string keys (``gpu_backends.CUDA.build_flag``)."""
    return {_path_str(p): v for p, v in flatten_paths(spec).items()}


def _loose(name: str) -> str:
    return _SEPARATORS.sub("", name).lower()


def _rename_map(pred_names: list[str], gt_names: list[str]) -> dict[str, str]:
    """Pair predicted entry names with ground-truth names, one to one, strictest tier first.

    Tiers: exact, then case-insensitive, then case- and separator-insensitive (``AVX_512`` ~
    ``AVX512`` ~ ``avx-512``, ``SSE4.2`` ~ ``SSE42``). A ground-truth name is used at most once,
    so GROMACS's ``mkl`` and ``MKL`` stay two entries whatever the prediction spells.
    """
    mapping: dict[str, str] = {}
    free_gt = list(gt_names)
    for key in (lambda s: s, str.lower, _loose):
        for pred in pred_names:
            if pred in mapping:
                continue
            for gt in free_gt:
                if key(gt) == key(pred):
                    mapping[pred] = gt
                    free_gt.remove(gt)
                    break
    return mapping


def _align_names(pred: dict[Path, Any], gt: dict[Path, Any]) -> dict[Path, Any]:
    """Rewrite predicted entry names to the ground truth's where ``_rename_map`` pairs them."""
    aligned: dict[Path, Any] = {}
    for section in ENTRY_FIELDS:
        pred_names = list(dict.fromkeys(p[1] for p in pred if p[0] == section and len(p) == 3))
        gt_names = list(dict.fromkeys(p[1] for p in gt if p[0] == section and len(p) == 3))
        renames = _rename_map(pred_names, gt_names)
        for path, value in pred.items():
            if path[0] == section and len(path) == 3:
                aligned[section, renames.get(path[1], path[1]), path[2]] = value
    for path, value in pred.items():
        if path[0] not in ENTRY_FIELDS:
            aligned[path] = value
    return aligned


def _ratio(num: int, den: int) -> float:
    return num / den if den else 0.0


def score(
    pred: Mapping[str, Any], gt: Mapping[str, Any], normalize_names: bool = False
) -> ScoreResult:
    """Score prediction ``pred`` against ground truth ``gt`` (both upstream-format dicts)."""
    gt_flat = flatten_paths(gt)
    pred_flat = flatten_paths(pred)
    if normalize_names:
        pred_flat = _align_names(pred_flat, gt_flat)
    tp = fp = fn = 0
    mismatches: list[Mismatch] = []
    for path in sorted(set(gt_flat) | set(pred_flat)):
        expected, predicted = gt_flat.get(path), pred_flat.get(path)
        if expected is not None and predicted is not None:
            if expected == predicted:
                tp += 1
                continue
            fp += 1
            kind: MismatchKind = "different"
        elif predicted is not None:
            fp += 1
            kind = "extra"
        elif expected is not None:
            fn += 1
            kind = "missing"
        else:
            continue
        mismatches.append(Mismatch(_path_str(path), predicted, expected, kind))
    precision, recall = _ratio(tp, tp + fp), _ratio(tp, tp + fn)
    total = precision + recall
    f1 = 2 * precision * recall / total if total else 0.0
    return ScoreResult(tp, fp, fn, precision, recall, f1, mismatches)
