"""Classification rules, output conventions (docs/architecture.md, "Specialization points"),
determinism, heat2d and the CLI."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import HEAT2D
from tests.spec.cmake.helpers import cm, spec, tree
from xaas_parsl.cli.main import main
from xaas_parsl.spec.discover import discover_spec, discover_with_provenance
from xaas_parsl.spec.load import spec_from_dict
from xaas_parsl.spec.score import score


def test_simd_level_choice_gives_one_entry_per_value(tmp_path: Path) -> None:
    s = spec(tmp_path, {"CMakeLists.txt": cm("""
        set(APP_SIMD "AUTO" CACHE STRING "SIMD level")
        set_property(CACHE APP_SIMD PROPERTY STRINGS AUTO None SSE4.1 AVX2_256 AVX_512)
    """)})
    assert s["simd_vectorization"] == {
        name: {"build_flag": f"-DAPP_SIMD={name}", "default": name == "AUTO"}
        for name in ("AUTO", "None", "SSE4.1", "AVX2_256", "AVX_512")}


def test_per_instruction_switches_native_and_all_variants(tmp_path: Path) -> None:
    s = spec(tmp_path, {"CMakeLists.txt": cm("""
        option(APP_NATIVE "optimize for the build host" ON)
        if(APP_NATIVE)
          set(INS_ENB OFF)
        else()
          set(INS_ENB ON)
        endif()
        option(APP_AVX2 "enable AVX2" ${INS_ENB})
        option(APP_AVX512_VNNI "enable AVX512-VNNI" OFF)
        option(APP_AMX_INT8 "enable AMX-INT8" OFF)
        option(APP_RV_ZFH "riscv zfh" ON)
        option(APP_CPU_ALL_VARIANTS "all variants" OFF)
        option(APP_VERBOSE "not SIMD" OFF)
    """)})
    simd = s["simd_vectorization"]
    assert simd["AUTO"] == {"build_flag": "-DAPP_NATIVE", "default": True}
    assert simd["AVX2"] == {"build_flag": "-DAPP_AVX2", "default": False}  # INS_ENB is OFF
    assert simd["RV_ZFH"]["default"] is True
    assert simd["ALL"]["build_flag"] == "-DAPP_CPU_ALL_VARIANTS"
    assert set(simd) == {"AUTO", "AVX2", "AVX512_VNNI", "AMX_INT8", "RV_ZFH", "ALL"}


def test_gpu_choice_backend_switches_and_doc_named_backends(tmp_path: Path) -> None:
    s = spec(tmp_path, {"CMakeLists.txt": cm("""
        set(APP_GPU "OFF" CACHE STRING "GPU")
        set_property(CACHE APP_GPU PROPERTY STRINGS OFF CUDA OpenCL)
        if(APP_GPU STREQUAL "CUDA")
          find_package(CUDAToolkit 12.1 REQUIRED)
        endif()
        option(LIB_VULKAN "lib: use Vulkan" OFF)
        option(LIB_VULKAN_DEBUG "lib: Vulkan debug output" OFF)
        option(LIB_CPU_KLEIDIAI "lib: use KleidiAI kernels" OFF)
        option(LIB_NEWTHING "lib: use NewThing backend" OFF)
        option(LIB_CPU "lib: enable CPU backend" ON)
    """)})
    assert s["gpu_build"] == {"value": True, "build_flag": "-DAPP_GPU"}
    backends = s["gpu_backends"]
    assert backends["CUDA"] == {"used_as_default": False, "build_flag": "-DAPP_GPU=CUDA",
                                "minimum_version": "12.1"}
    assert backends["Vulkan"]["build_flag"] == "-DLIB_VULKAN"
    assert backends["KleidiAI"]["build_flag"] == "-DLIB_CPU_KLEIDIAI"
    assert backends["NewThing"]["build_flag"] == "-DLIB_NEWTHING"
    assert set(backends) == {"CUDA", "OpenCL", "Vulkan", "KleidiAI", "NewThing"}


def test_generic_gpu_switch_and_choice_declared_under_it(tmp_path: Path) -> None:
    s = spec(tmp_path, {"CMakeLists.txt": cm("""
        option(PKG_GPU "GPU package" OFF)
        if(PKG_GPU)
          set(GPU_API "opencl" CACHE STRING "GPU API")
          set_property(CACHE GPU_API PROPERTY STRINGS opencl cuda hip)
        endif()
    """)})
    assert s["gpu_build"] == {"value": True, "build_flag": "-DPKG_GPU"}
    assert s["gpu_backends"]["CUDA"]["build_flag"] == "-DPKG_GPU=ON -DGPU_API=cuda"
    assert s["gpu_backends"]["OpenCL"]["used_as_default"] is False  # PKG_GPU is off


def test_parallel_libraries_with_minimum_versions(tmp_path: Path) -> None:
    s = spec(tmp_path, {"CMakeLists.txt": cm("""
        option(APP_MPI "MPI" OFF)
        option(APP_THREAD_MPI "thread-MPI" ON)
        option(APP_OPENMP "OpenMP" ON)
        option(APP_LOGGING_ENABLE_MPI "log over MPI" OFF)
        if(APP_MPI)
          find_package(MPI 3.0 REQUIRED)
        endif()
    """)})
    par = s["parallel_programming_libraries"]
    assert par["MPI"] == {"used_as_default": False, "build_flag": "-DAPP_MPI",
                          "minimum_version": "3.0"}
    assert par["Thread-MPI"]["used_as_default"] is True
    assert par["OpenMP"]["build_flag"] == "-DAPP_OPENMP"
    assert set(par) == {"MPI", "Thread-MPI", "OpenMP"}


def test_blas_switch_with_vendor_values_from_comparisons(tmp_path: Path) -> None:
    s = spec(tmp_path, {
        "CMakeLists.txt": cm("""
            option(LIB_BLAS "use BLAS" OFF)
            set(LIB_BLAS_VENDOR "Generic" CACHE STRING "BLAS vendor")
            option(LIB_ACCELERATE "Accelerate framework" ON)
            if(LIB_BLAS)
              add_subdirectory(blas)
            endif()
        """),
        "blas/CMakeLists.txt": """
            if (${LIB_BLAS_VENDOR} MATCHES "Apple")
            elseif (${LIB_BLAS_VENDOR} MATCHES "OpenBLAS")
            elseif ("${LIB_BLAS_VENDOR}" STREQUAL "Intel")
            endif()
        """,
    })
    la = s["linear_algebra_libraries"]
    assert la["OpenBLAS"]["build_flag"] == "-DLIB_BLAS=ON -DLIB_BLAS_VENDOR=OpenBLAS"
    assert set(la) == {"Accelerate", "Apple", "OpenBLAS", "Intel", "Generic"}
    assert la["Accelerate"]["used_as_default"] is True
    assert not any(la[v]["used_as_default"] for v in ("Apple", "OpenBLAS", "Intel", "Generic"))


def test_fft_choice_with_built_in_value_spelled_as_the_call_site(tmp_path: Path) -> None:
    s = spec(tmp_path, {"CMakeLists.txt": cm("""
        function(choice NAME DOC DEFAULT)
          string(REPLACE "[built-in]" "" _allowed "${ARGN}")
          set(${NAME} ${DEFAULT} CACHE STRING "${DOC}")
          set_property(CACHE ${NAME} PROPERTY STRINGS ${_allowed})
        endfunction()
        choice(APP_FFT_LIBRARY "FFT library" fftw3 fftw3 mkl "fftpack[built-in]")
        set(APP_FFT_PACK "array" CACHE STRING "packing")
        set_property(CACHE APP_FFT_PACK PROPERTY STRINGS array pointer)
    """)})
    fft = s["FFT_libraries"]
    assert fft["fftpack[built-in]"] == {"built-in": True, "used_as_default": False,
                                        "dependencies": None,
                                        "build_flag": "-DAPP_FFT_LIBRARY=fftpack[built-in]"}
    assert fft["fftw3"]["used_as_default"] is True
    assert set(fft) == {"fftw3", "mkl", "fftpack[built-in]"}  # APP_FFT_PACK names no library


def test_internal_build_own_and_use_system(tmp_path: Path) -> None:
    own = spec(tmp_path / "a", {"CMakeLists.txt": cm("""
        option(APP_BUILD_OWN_FFTW "Download and build FFTW 3" OFF)
    """)})
    assert own["internal_build"] == {"library_name": "FFTW", "build_flag": "-DAPP_BUILD_OWN_FFTW"}
    system = spec(tmp_path / "b", {
        "CMakeLists.txt": cm("""
            option(APP_USE_SYSTEM_GGML "use system libggml" OFF)
            if(NOT APP_USE_SYSTEM_GGML)
              add_subdirectory(ggml)
            endif()
        """),
        "ggml/CMakeLists.txt": "project(ggml C)\n",
    })
    assert system["internal_build"] == {"library_name": "ggml", "build_flag": None}


def test_build_system_compilers_and_schema(tmp_path: Path) -> None:
    s = spec(tmp_path, {"CMakeLists.txt": """
        cmake_minimum_required(VERSION 3.18...3.28)
        project(demo CXX)
        if(CMAKE_CXX_COMPILER_ID STREQUAL "GNU" AND CMAKE_CXX_COMPILER_VERSION VERSION_LESS 9)
          message(FATAL_ERROR "GCC 9 required")
        elseif(CMAKE_CXX_COMPILER_ID MATCHES "Clang")
          if(CMAKE_CXX_COMPILER_VERSION VERSION_LESS 14)
            set(cxx_required_version "Clang 14")
          endif()
        endif()
    """})
    assert s["build_system"] == {"type": "cmake", "minimum_version": "3.18"}
    assert s["compilers"] == {"Clang": {"minimum_version": "14"}, "GCC": {"minimum_version": "9"}}
    spec_from_dict(s)  # validates against the corrected schema


def test_undeclared_switches_tested_through_computed_names(tmp_path: Path) -> None:
    s = spec(tmp_path, {"CMakeLists.txt": cm("""
        option(LIB_CUDA "lib: use CUDA" OFF)
        option(LIB_METAL "lib: use Metal" OFF)
        option(LIB_STATIC "static" OFF)
        function(add_backend name)
          string(TOUPPER "LIB_${name}" id)
          if(${id})
          endif()
        endfunction()
        add_backend(CUDA)
        add_backend(CANN)
        function(old_option OLD NEW)
          if(${OLD})
            message(WARNING "${OLD} is deprecated, use ${NEW}")
          endif()
        endfunction()
        old_option(APP_CANN LIB_CANN)
        if(LIB_INTERNAL_SVE)
        endif()
    """)})
    backends = s["gpu_backends"]
    assert backends["CANN"] == {"used_as_default": False, "build_flag": "-DLIB_CANN",
                                "minimum_version": None}
    assert "SVE" not in s["simd_vectorization"]  # literal test of internal state, not a switch


def test_output_is_byte_identical_across_runs(tmp_path: Path) -> None:
    first = json.dumps(discover_spec(HEAT2D), indent=2)
    second = json.dumps(discover_spec(HEAT2D), indent=2)
    assert first == second


def test_heat2d_matches_its_hand_written_ground_truth() -> None:
    gt = json.loads((HEAT2D / "specialization-points.json").read_text(encoding="utf-8"))
    result = score(discover_spec(HEAT2D), gt)
    assert result.f1 == 1.0, result.mismatches


def test_provenance_names_file_and_line() -> None:
    _spec, provenance = discover_with_provenance(HEAT2D)
    assert provenance["simd_vectorization.AVX_512"] == "CMakeLists.txt:27"
    assert provenance["parallel_programming_libraries.MPI"] == "CMakeLists.txt:31"
    assert provenance["build_system"] == "CMakeLists.txt:9"


def test_cli_discover_stdout_output_file_and_explain(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["spec", "discover", str(HEAT2D), "--explain"]) == 0
    captured = capsys.readouterr()
    assert json.loads(captured.out)["gpu_build"]["build_flag"] == "-DHEAT2D_GPU"
    assert "simd_vectorization.AVX_512" in captured.err and "CMakeLists.txt:27" in captured.err
    out = tmp_path / "spec.json"
    assert main(["spec", "discover", str(HEAT2D), "-o", str(out)]) == 0
    assert capsys.readouterr().out == ""
    assert json.loads(out.read_text())["build_system"]["minimum_version"] == "3.18"


def test_cli_errors_are_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["spec", "discover", str(tmp_path)]) == 1
    assert capsys.readouterr().err.strip().splitlines() == [
        f"xaas: error: {tmp_path}: not a CMake project (no CMakeLists.txt)"]
    tree(tmp_path, {"CMakeLists.txt": "project(x)\nif(A\n"})
    assert main(["spec", "discover", str(tmp_path)]) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and f"{tmp_path}/CMakeLists.txt:2: unbalanced parentheses" in err[0]


def test_cli_entry_point_runs_as_a_subprocess() -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "xaas_parsl.cli.main", "spec", "discover", str(HEAT2D)],
        capture_output=True, text=True, check=False, timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["simd_vectorization"]["AUTO"]["default"] is True


def test_generic_switch_toolkit_required_deps_and_option_with_string_default(
    tmp_path: Path,
) -> None:
    # The shape of faiss 1.7: option() used for a string, a GPU switch that finds CUDA,
    # OpenMP/BLAS required unconditionally.
    s = spec(tmp_path, {"CMakeLists.txt": cm("""
        option(LIB_OPT_LEVEL "" "generic")
        option(LIB_ENABLE_GPU "GPU indexes" ON)
        if(LIB_ENABLE_GPU)
          find_package(CUDAToolkit 11.4 REQUIRED)
        endif()
        find_package(OpenMP REQUIRED)
        find_package(MKL)
        if(NOT MKL_FOUND)
          find_package(BLAS REQUIRED)
        endif()
        if(LIB_OPT_LEVEL STREQUAL "avx2")
        endif()
    """)})
    assert s["simd_vectorization"] == {
        "avx2": {"build_flag": "-DLIB_OPT_LEVEL=avx2", "default": False},
        "generic": {"build_flag": "-DLIB_OPT_LEVEL=generic", "default": True}}
    assert s["gpu_build"] == {"value": True, "build_flag": "-DLIB_ENABLE_GPU"}
    assert s["gpu_backends"] == {"CUDA": {"used_as_default": True,
                                          "build_flag": "-DLIB_ENABLE_GPU",
                                          "minimum_version": "11.4"}}
    assert s["parallel_programming_libraries"]["OpenMP"] == {
        "used_as_default": True, "build_flag": None, "minimum_version": None}
    assert s["linear_algebra_libraries"] == {
        "BLAS": {"used_as_default": True, "build_flag": None, "condition": None}}
