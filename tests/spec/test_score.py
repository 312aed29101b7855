from __future__ import annotations

import copy
import json
from typing import Any

import pytest

from tests.conftest import SPECS
from xaas_parsl.spec.score import flatten, normalize_flag, score


def _spec(**overrides: Any) -> dict[str, Any]:
    """A small valid spec: 2 gpu_build + 2x2 backends + 2 parallel + 2 BLAS + 3 FFT + 2x2 SIMD
    + 2 build_system + 2 internal_build = 21 scored items (all non-null)."""
    data: dict[str, Any] = {
        "gpu_build": {"value": True, "build_flag": "-DAPP_GPU"},
        "gpu_backends": {
            "CUDA": {"used_as_default": False, "build_flag": "-DAPP_GPU=CUDA",
                     "minimum_version": "11.0"},
            "HIP": {"used_as_default": False, "build_flag": "-DAPP_GPU=HIP",
                    "minimum_version": None},
        },
        "parallel_programming_libraries": {
            "OpenMP": {"used_as_default": True, "build_flag": "-DAPP_OPENMP",
                       "minimum_version": None},
        },
        "linear_algebra_libraries": {
            "OpenBLAS": {"used_as_default": False,
                         "build_flag": "-DAPP_BLAS=ON -DAPP_BLAS_VENDOR=OpenBLAS",
                         "condition": None},
        },
        "FFT_libraries": {
            "fftw3": {"built-in": False, "used_as_default": True, "dependencies": None,
                      "build_flag": "-DAPP_FFT=fftw3"},
        },
        "other_external_libraries": {},
        "compiler_flags": [], "optimization_build_flags": [], "architectures": [],
        "compilers": {},
        "simd_vectorization": {
            "AUTO": {"build_flag": "-DAPP_SIMD=AUTO", "default": True},
            "AVX_512": {"build_flag": "-DAPP_SIMD=AVX_512", "default": False},
        },
        "build_system": {"type": "cmake", "minimum_version": "3.16"},
        "internal_build": {"library_name": "FFTW", "build_flag": "-DAPP_BUILD_OWN_FFTW"},
    }
    data.update(overrides)
    return data


def test_flatten_covers_exactly_the_scored_paths() -> None:
    flat = flatten(_spec())
    assert len(flat) == 21
    assert flat["gpu_backends.CUDA.build_flag"] == "-DAPP_GPU=CUDA"
    assert "gpu_backends.CUDA.minimum_version" not in flat  # upstream does not score it
    assert "linear_algebra_libraries.OpenBLAS.condition" not in flat
    assert flat["FFT_libraries.fftw3.built-in"] is False
    assert flat["internal_build.library_name"] == "fftw"  # upstream normalize_key on the value
    assert not any(k.startswith(("compilers", "other_external")) for k in flat)


def test_identical_scores_one() -> None:
    result = score(_spec(), _spec())
    assert (result.tp, result.fp, result.fn) == (21, 0, 0)
    assert result.f1 == 1.0 and result.mismatches == []


def test_missing_entry_is_fn() -> None:
    pred = _spec()
    del pred["gpu_backends"]["HIP"]
    result = score(pred, _spec())
    assert (result.tp, result.fp, result.fn) == (19, 0, 2)
    assert {m.path for m in result.mismatches} == {
        "gpu_backends.HIP.used_as_default", "gpu_backends.HIP.build_flag"}
    assert all(m.kind == "missing" for m in result.mismatches)
    assert result.precision == 1.0 and result.recall == pytest.approx(19 / 21)


def test_extra_entry_is_fp() -> None:
    pred = _spec()
    pred["gpu_backends"]["SYCL"] = {"used_as_default": False, "build_flag": "-DAPP_GPU=SYCL",
                                    "minimum_version": None}
    result = score(pred, _spec())
    assert (result.tp, result.fp, result.fn) == (21, 2, 0)
    assert {m.kind for m in result.mismatches} == {"extra"}


def test_different_flag_is_one_fp_and_no_fn() -> None:
    pred = _spec()
    pred["simd_vectorization"]["AVX_512"]["build_flag"] = "-DAPP_SIMD=AVX512"
    result = score(pred, _spec())
    assert (result.tp, result.fp, result.fn) == (20, 1, 0)
    (mismatch,) = result.mismatches
    assert mismatch.path == "simd_vectorization.AVX_512.build_flag"
    assert (mismatch.predicted, mismatch.expected, mismatch.kind) == (
        "-DAPP_SIMD=AVX512", "-DAPP_SIMD=AVX_512", "different")


def test_trailing_on_is_ignored() -> None:
    pred = _spec()
    pred["parallel_programming_libraries"]["OpenMP"]["build_flag"] = "-DAPP_OPENMP=ON "
    pred["gpu_build"]["build_flag"] = "-DAPP_GPU=ON"
    assert score(pred, _spec()).f1 == 1.0
    assert normalize_flag("-DA=ON -DB=ON") == "-DA -DB"
    assert normalize_flag("-DGMX_GPU=ONEAPI -DX=ON") == "-DGMX_GPU=ONEAPI -DX"
    assert normalize_flag("-DA=ON -DB=OpenBLAS") == "-DA=ON -DB=OpenBLAS"  # not trailing
    assert normalize_flag("-DA=OFF") == "-DA=OFF"
    assert normalize_flag("") is None and normalize_flag("  ") is None


def test_nulls_count_nothing_on_both_sides_and_fn_or_fp_on_one() -> None:
    gt = _spec(internal_build={"library_name": None, "build_flag": None})
    assert score(copy.deepcopy(gt), gt).fn == 0  # null on both sides: not an item at all
    pred = copy.deepcopy(gt)
    pred["internal_build"] = {"library_name": "fftw", "build_flag": None}
    result = score(pred, gt)
    assert (result.fp, result.fn) == (1, 0)  # non-null only in the prediction: FP
    pred = _spec()
    pred["gpu_build"]["build_flag"] = None
    result = score(pred, _spec())
    assert (result.fp, result.fn) == (0, 1)  # null prediction of a non-null truth: FN
    pred["gpu_build"]["build_flag"] = ""
    assert score(pred, _spec()).fn == 1  # empty flag is null


def test_false_is_a_value_not_a_null() -> None:
    pred = _spec()
    pred["gpu_backends"]["CUDA"]["used_as_default"] = True
    result = score(pred, _spec())
    assert (result.fp, result.fn) == (1, 0)


def test_lowercase_fft_key_is_accepted() -> None:
    pred = _spec()
    pred["fft_libraries"] = pred.pop("FFT_libraries")
    assert score(pred, _spec()).f1 == 1.0
    assert score(_spec(), pred).f1 == 1.0


def test_names_are_exact_unless_normalized() -> None:
    pred = _spec()
    pred["simd_vectorization"]["AVX512"] = pred["simd_vectorization"].pop("AVX_512")
    pred["gpu_backends"]["cuda"] = pred["gpu_backends"].pop("CUDA")
    strict = score(pred, _spec())
    assert (strict.tp, strict.fp, strict.fn) == (17, 4, 4)
    loose = score(pred, _spec(), normalize_names=True)
    assert loose.f1 == 1.0
    pred["simd_vectorization"]["avx-512"] = pred["simd_vectorization"].pop("AVX512")
    assert score(pred, _spec(), normalize_names=True).f1 == 1.0


def test_normalize_names_never_merges_case_distinct_truth_entries() -> None:
    mkl_cpu = {"built-in": False, "used_as_default": False, "dependencies": None,
               "build_flag": "-DGMX_FFT_LIBRARY=mkl"}
    mkl_gpu = {"built-in": False, "used_as_default": False, "dependencies": "SYCL",
               "build_flag": "-DGMX_GPU_FFT_LIBRARY=MKL"}
    gt = _spec(FFT_libraries={"mkl": mkl_cpu, "MKL": mkl_gpu})
    both = score(copy.deepcopy(gt), gt, normalize_names=True)
    assert (both.tp, both.fp, both.fn) == (24, 0, 0)  # 6 FFT items, none lost to a merge
    only_gpu = copy.deepcopy(gt)
    del only_gpu["FFT_libraries"]["mkl"]
    result = score(only_gpu, gt, normalize_names=True)
    assert (result.tp, result.fp, result.fn) == (21, 0, 3)
    assert {m.path for m in result.mismatches} == {
        "FFT_libraries.mkl.built-in", "FFT_libraries.mkl.used_as_default",
        "FFT_libraries.mkl.build_flag"}
    # a prediction spelling both in another case pairs each with its own truth entry
    spelled = copy.deepcopy(gt)
    spelled["FFT_libraries"] = {"Mkl": mkl_cpu, "MKL": mkl_gpu}
    assert score(spelled, gt, normalize_names=True).f1 == 1.0


@pytest.mark.usefixtures("reference")
def test_gromacs_ground_truth_against_itself() -> None:
    gt = json.loads((SPECS / "gromacs-2025.0.json").read_text())
    for normalize in (False, True):
        result = score(copy.deepcopy(gt), gt, normalize_names=normalize)
        assert result.f1 == 1.0 and result.fp == 0 and result.fn == 0
    flat = flatten(gt)
    assert "FFT_libraries.mkl.build_flag" in flat and "FFT_libraries.MKL.build_flag" in flat
    # null-valued items (BLAS flags, backend minimum versions) are not counted
    assert result.tp == sum(v is not None for v in flat.values())
