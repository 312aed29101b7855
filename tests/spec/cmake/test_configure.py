"""``--configure``: reading real CMake caches and merging them into the static facts."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from tests.conftest import needs_infra
from tests.spec.cmake.helpers import tree
from xaas_parsl.spec.cmake.facts import Facts, OptionFact
from xaas_parsl.spec.configure import CacheItem, merge_cache, read_cache_txt, read_file_api
from xaas_parsl.spec.discover import discover_explained

needs_cmake = needs_infra(shutil.which("cmake") is None, "cmake not installed")


def test_cmake_cache_txt_with_help_strings_and_strings_property(tmp_path: Path) -> None:
    cache = tmp_path / "CMakeCache.txt"
    cache.write_text(
        "# This is the CMakeCache file.\n\n"
        "//SIMD level\nAPP_SIMD:STRING=AUTO\n\n"
        "//Use MPI\nAPP_MPI:BOOL=OFF\n\n"
        "//STRINGS property for variable: APP_SIMD\nAPP_SIMD-STRINGS:INTERNAL=AUTO;AVX2;AVX_512\n"
        "APP_SIMD-ADVANCED:INTERNAL=1\n"
    )
    items = read_cache_txt(cache)
    assert items["APP_SIMD"] == CacheItem("APP_SIMD", "STRING", "AUTO", "SIMD level",
                                          ("AUTO", "AVX2", "AVX_512"))
    assert items["APP_MPI"].type == "BOOL" and set(items) == {"APP_SIMD", "APP_MPI"}


def test_file_api_cache_reply(tmp_path: Path) -> None:
    reply = tmp_path / ".cmake" / "api" / "v1" / "reply"
    reply.mkdir(parents=True)
    (reply / "cache-v2-1.json").write_text(json.dumps({"entries": [
        {"name": "APP_GPU", "type": "STRING", "value": "OFF", "properties": [
            {"name": "HELPSTRING", "value": "GPU"}, {"name": "STRINGS", "value": "OFF;CUDA"}]},
    ]}))
    (reply / "index-1.json").write_text(json.dumps(
        {"objects": [{"kind": "cache", "jsonFile": "cache-v2-1.json"}]}))
    assert read_file_api(tmp_path) == {"APP_GPU": CacheItem("APP_GPU", "STRING", "OFF", "GPU",
                                                            ("OFF", "CUDA"))}
    assert read_file_api(tmp_path / "nothing") is None


def test_merge_real_defaults_forced_values_and_new_entries() -> None:
    facts = Facts()
    facts.options["APP_OMP"] = OptionFact("APP_OMP", "BOOL", "OFF", "omp", "CMakeLists.txt:3",
                                          True)
    facts.options["APP_SIMD"] = OptionFact("APP_SIMD", "STRING", "AUTO", "", "c:4", True)
    facts.forced.add("APP_SIMD")  # the project FORCE-sets its detected level into the cache
    notes = merge_cache(facts, {
        "APP_OMP": CacheItem("APP_OMP", "BOOL", "ON", "omp"),
        "APP_SIMD": CacheItem("APP_SIMD", "STRING", "AVX2_256", "", ("AUTO", "AVX2_256")),
        "APP_CUDA": CacheItem("APP_CUDA", "BOOL", "OFF", "use CUDA"),
        "CMAKE_BUILD_TYPE": CacheItem("CMAKE_BUILD_TYPE", "STRING", "Release", ""),
        "APP_INTERNAL": CacheItem("APP_INTERNAL", "INTERNAL", "1", ""),
    })
    assert facts.options["APP_OMP"].default == "ON"
    assert facts.options["APP_SIMD"].default == "AUTO"
    assert facts.options["APP_SIMD"].strings == ("AUTO", "AVX2_256")
    assert facts.options["APP_CUDA"].where == "cmake-configure"
    assert "CMAKE_BUILD_TYPE" not in facts.options and "APP_INTERNAL" not in facts.options
    assert any("APP_OMP" in n for n in notes)


@needs_cmake
def test_real_configure_overrides_probe_dependent_defaults(tmp_path: Path) -> None:
    root = tree(tmp_path / "src", {"CMakeLists.txt": """
        cmake_minimum_required(VERSION 3.16)
        project(demo NONE)
        execute_process(COMMAND echo ON OUTPUT_VARIABLE probe OUTPUT_STRIP_TRAILING_WHITESPACE)
        option(APP_OPENMP "OpenMP if the probe says so" ${probe})
        set(APP_SIMD "AUTO" CACHE STRING "SIMD")
        set_property(CACHE APP_SIMD PROPERTY STRINGS AUTO SSE2 AVX2_256)
        set(APP_SIMD "AVX2_256" CACHE STRING "SIMD" FORCE)
    """})
    static, _e, _w = discover_explained(root)
    assert static["parallel_programming_libraries"]["OpenMP"]["used_as_default"] is False
    real, _e, warnings = discover_explained(root, configure=True)
    assert real["parallel_programming_libraries"]["OpenMP"]["used_as_default"] is True
    assert real["simd_vectorization"]["AUTO"]["default"] is True  # FORCE-set: kept static
    assert any("APP_OPENMP" in w for w in warnings)


@needs_cmake
def test_failing_configure_is_a_warning(tmp_path: Path) -> None:
    root = tree(tmp_path / "src", {"CMakeLists.txt": """
        cmake_minimum_required(VERSION 3.16)
        project(demo NONE)
        option(APP_MPI "MPI" OFF)
        message(FATAL_ERROR "a dependency is missing")
    """})
    result, _e, warnings = discover_explained(root, configure=True)
    assert any("cmake failed" in w for w in warnings)
    assert result["parallel_programming_libraries"]["MPI"]["build_flag"] == "-DAPP_MPI"
