"""The evaluator: each CMake construct discovery relies on, pinned on a small synthetic tree."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.spec.cmake.helpers import HEADER, cm, facts
from xaas_parsl.errors import InputError
from xaas_parsl.spec.cmake.expand import expand
from xaas_parsl.spec.discover import collect_facts


def test_option_and_cache_variable_with_strings(tmp_path: Path) -> None:
    f = facts(tmp_path, {"CMakeLists.txt": cm("""
        option(DEMO_MPI "Use MPI" OFF)
        set(DEMO_FFT "fftw3" CACHE STRING "FFT library")
        set_property(CACHE DEMO_FFT PROPERTY STRINGS fftw3 mkl builtin)
        set(NOT_AN_OPTION 1)
    """)})
    assert f.options["DEMO_MPI"].type == "BOOL" and f.options["DEMO_MPI"].default == "OFF"
    fft = f.options["DEMO_FFT"]
    assert (fft.type, fft.default, fft.strings) == ("STRING", "fftw3", ("fftw3", "mkl", "builtin"))
    assert fft.where == "CMakeLists.txt:4" and fft.doc == "FFT library"
    assert "NOT_AN_OPTION" not in f.options


def test_default_is_the_evaluated_value_on_native_x86_64_linux(tmp_path: Path) -> None:
    f = facts(tmp_path, {"CMakeLists.txt": cm("""
        if(APPLE)
          set(_metal ON)
        elseif(CMAKE_SYSTEM_PROCESSOR MATCHES "x86_64|AMD64" AND CMAKE_SYSTEM_NAME STREQUAL Linux)
          set(_metal OFF)
          set(_native ON)
        endif()
        option(DEMO_METAL "Metal" ${_metal})
        option(DEMO_NATIVE "native" ${_native})
    """)})
    assert f.options["DEMO_METAL"].default == "OFF"
    assert f.options["DEMO_NATIVE"].default == "ON"


def test_cmake_dependent_option(tmp_path: Path) -> None:
    f = facts(tmp_path, {"CMakeLists.txt": cm("""
        include(CMakeDependentOption)
        option(DEMO_CUDA "CUDA" OFF)
        cmake_dependent_option(DEMO_CUDA_GRAPHS "graphs" ON "DEMO_CUDA" OFF)
        cmake_dependent_option(DEMO_X "x" ON "UNIX;NOT WIN32" OFF)
    """)})
    graphs = f.options["DEMO_CUDA_GRAPHS"]
    assert graphs.depends == "DEMO_CUDA" and graphs.default == "OFF"  # condition false natively
    assert f.options["DEMO_X"].default == "ON"


def test_project_helper_function_is_evaluated_through_its_definition(tmp_path: Path) -> None:
    # The shape of GROMACS's gmx_option_multichoice: cache entry + STRINGS inside a function.
    f = facts(tmp_path, {
        "CMakeLists.txt": cm("""
            list(APPEND CMAKE_MODULE_PATH ${CMAKE_CURRENT_SOURCE_DIR}/cmake)
            include(Options)
            demo_option_multichoice(DEMO_FFT "FFT library" fftw3 fftw3 mkl "fftpack[built-in]")
            demo_dependent_option(DEMO_OWN_FFTW "build FFTW" OFF "DEMO_FFT STREQUAL FFTW3")
        """),
        "cmake/Options.cmake": """
            function(DEMO_OPTION_MULTICHOICE NAME DESCRIPTION DEFAULT)
                string(REPLACE "[built-in]" "" _allowed "${ARGN}")
                set(${NAME} ${DEFAULT} CACHE STRING "${DESCRIPTION}")
                set_property(CACHE ${NAME} PROPERTY STRINGS ${_allowed})
                string(TOUPPER "${${NAME}}" ${NAME})
                set(${NAME} "${${NAME}}" PARENT_SCOPE)
            endfunction()
            macro(DEMO_DEPENDENT_OPTION NAME DESCRIPTION DEFAULT CONDITIONS)
                set(${NAME} "${DEFAULT}" CACHE BOOL "${DESCRIPTION}")
            endmacro()
        """,
    })
    fft = f.options["DEMO_FFT"]
    assert fft.strings == ("fftw3", "mkl", "fftpack")
    assert fft.call_values[-1] == "fftpack[built-in]"  # the call site's spelling is kept
    assert fft.where == "CMakeLists.txt:5"  # the helper call, not the set() inside it
    assert fft.defined_at == "cmake/Options.cmake:3"
    assert f.options["DEMO_OWN_FFTW"].type == "BOOL"


def test_include_module_path_relative_optional_and_subdirectory(tmp_path: Path) -> None:
    f = facts(tmp_path, {
        "CMakeLists.txt": cm("""
            set(CMAKE_MODULE_PATH ${CMAKE_SOURCE_DIR}/cmake)
            include(Mod)
            include(cmake/direct.cmake)
            include(DoesNotExist OPTIONAL)
            include(CheckCXXCompilerFlag)
            add_subdirectory(sub)
            option(TOP_AFTER_SUB "after" ${FROM_SUB})
        """),
        "cmake/Mod.cmake": 'option(FROM_MODULE "m" ON)\n',
        "cmake/direct.cmake": 'option(FROM_FILE "f" ON)\n',
        "sub/CMakeLists.txt": 'option(IN_SUB "s" OFF)\nset(FROM_SUB ON)\nset(P ON PARENT_SCOPE)\n',
    })
    assert {"FROM_MODULE", "FROM_FILE", "IN_SUB"} <= set(f.options)
    assert f.options["IN_SUB"].where == "sub/CMakeLists.txt:1"
    # FROM_SUB was set in the subdirectory's scope only: option() falls back to OFF.
    assert f.options["TOP_AFTER_SUB"].default == "OFF"


def test_branches_not_taken_natively_are_still_visited(tmp_path: Path) -> None:
    f = facts(tmp_path, {"CMakeLists.txt": cm("""
        if(CMAKE_SYSTEM_PROCESSOR MATCHES "aarch64")
          option(DEMO_SVE "SVE" ON)
        endif()
        if(NOT DEMO_GPU)
          return()
        endif()
        option(DEMO_AFTER_RETURN "visited in shadow" OFF)
    """)})
    sve = f.options["DEMO_SVE"]
    assert not sve.native and sve.conditions[-1].text == 'CMAKE_SYSTEM_PROCESSOR MATCHES "aarch64"'
    assert not f.options["DEMO_AFTER_RETURN"].native


def test_if_streqial_and_matches_values_are_recorded(tmp_path: Path) -> None:
    f = facts(tmp_path, {"CMakeLists.txt": cm("""
        set(DEMO_VENDOR "Generic" CACHE STRING "vendor")
        if(${DEMO_VENDOR} MATCHES "OpenBLAS")
        elseif(DEMO_VENDOR STREQUAL "Intel")
        elseif("${DEMO_VENDOR}" STREQUAL FLAME)
        endif()
    """)})
    seen = {(c.var, c.op, c.value) for c in f.comparisons}
    assert {("DEMO_VENDOR", "MATCHES", "OpenBLAS"), ("DEMO_VENDOR", "STREQUAL", "Intel"),
            ("DEMO_VENDOR", "STREQUAL", "FLAME")} <= seen


def test_find_package_versions_and_their_conditions(tmp_path: Path) -> None:
    f = facts(tmp_path, {"CMakeLists.txt": cm("""
        option(DEMO_CUDA "cuda" OFF)
        if(DEMO_CUDA)
          find_package(CUDAToolkit 11.0 REQUIRED)
        endif()
        find_package(MPI 3.1...4.0 COMPONENTS CXX)
        find_package(PkgConfig)
        pkg_check_modules(FFTW REQUIRED IMPORTED_TARGET fftw3>=3.3)
    """)})
    found = {p.name: p for p in f.packages}
    assert found["CUDAToolkit"].version == "11.0" and found["CUDAToolkit"].required
    assert found["CUDAToolkit"].conditions[-1].text == "DEMO_CUDA"
    assert found["MPI"].version == "3.1" and found["MPI"].components == ("CXX",)
    assert found["fftw3"].version == "3.3"
    assert found["PkgConfig"].version is None


def test_explicit_version_checks(tmp_path: Path) -> None:
    f = facts(tmp_path, {"CMakeLists.txt": cm("""
        if(CMAKE_CXX_COMPILER_ID STREQUAL "GNU" AND CMAKE_CXX_COMPILER_VERSION VERSION_LESS 9)
          message(FATAL_ERROR "GCC 9 or later required")
        endif()
        if(hip_VERSION VERSION_GREATER_EQUAL 5.2)
        else()
          message(FATAL_ERROR "HIP too old")
        endif()
        if(CUDA_VERSION VERSION_GREATER 11.4 AND CUDA_VERSION VERSION_LESS 11.7)
          message(FATAL_ERROR "broken range, not a minimum")
        endif()
    """)})
    checks = {(v.var, v.minimum) for v in f.version_checks}
    assert checks == {("CMAKE_CXX_COMPILER_VERSION", "9"), ("hip_VERSION", "5.2")}


def test_foreach_while_macro_and_scopes(tmp_path: Path) -> None:
    f = facts(tmp_path, {"CMakeLists.txt": cm("""
        macro(declare NAME)
          option(DEMO_${NAME} "switch ${NAME}" OFF)
        endmacro()
        foreach(b IN ITEMS CUDA HIP)
          declare(${b})
        endforeach()
        set(i 0)
        while(i LESS 3)
          math(EXPR i "${i} + 1")
          option(DEMO_LOOP_${i} "loop" ON)
        endwhile()
        function(setter)
          set(FROM_FUNC ON PARENT_SCOPE)
          set(LOCAL_ONLY ON)
        endfunction()
        setter()
        option(DEMO_FROM_FUNC "f" ${FROM_FUNC})
        option(DEMO_LOCAL "l" ${LOCAL_ONLY})
    """)})
    assert {"DEMO_CUDA", "DEMO_HIP", "DEMO_LOOP_1", "DEMO_LOOP_3"} <= set(f.options)
    assert f.options["DEMO_CUDA"].doc == "switch CUDA"
    assert f.options["DEMO_FROM_FUNC"].default == "ON"
    assert f.options["DEMO_LOCAL"].default == "OFF"


def test_runaway_recursion_and_loops_are_cut_with_a_warning(tmp_path: Path) -> None:
    f = facts(tmp_path, {"CMakeLists.txt": cm("""
        function(forever)
          forever()
        endfunction()
        forever()
        while(TRUE)
        endwhile()
        option(DEMO_STILL_HERE "after" ON)
    """)})
    assert any("call depth" in w and "CMakeLists.txt:4" in w for w in f.warnings)
    assert any("while() stopped" in w and "CMakeLists.txt:7" in w for w in f.warnings)
    assert "DEMO_STILL_HERE" in f.options


def test_include_loop_is_a_warning_with_file_and_line(tmp_path: Path) -> None:
    f = facts(tmp_path, {
        "CMakeLists.txt": HEADER + "include(a.cmake)\noption(DEMO_OK \"ok\" ON)\n",
        "a.cmake": "include(b.cmake)\n",
        "b.cmake": "set(x 1)\ninclude(a.cmake)\n",
    })
    (warning,) = [w for w in f.warnings if "include loop" in w]
    assert warning.startswith("b.cmake:2: include loop: a.cmake")
    assert "DEMO_OK" in f.options


def test_include_loop_with_nothing_usable_is_an_error(tmp_path: Path) -> None:
    root = tmp_path
    (root / "CMakeLists.txt").write_text("include(a.cmake)\n")
    (root / "a.cmake").write_text("include(CMakeLists.txt)\n")
    with pytest.raises(InputError, match=r"nothing usable.*a\.cmake:1: include loop"):
        collect_facts(root)


def test_not_a_cmake_project_and_syntax_errors(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="not a CMake project"):
        collect_facts(tmp_path)
    (tmp_path / "CMakeLists.txt").write_text("project(x)\nadd_subdirectory(sub)\n")
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "CMakeLists.txt").write_text('set(a "open\n')
    with pytest.raises(InputError, match="unterminated quoted argument") as exc:
        collect_facts(tmp_path)
    assert str(exc.value.path).endswith("sub/CMakeLists.txt:1")


def test_variable_expansion_rules() -> None:
    values = {"A": "x", "B": "A", "E": "${A}"}
    assert expand("${A}-${${B}}-${E}-$ENV{HOME}-a\\;b", values.get, values.get) == "x-x-${A}--a\\;b"
    assert expand("\\${A} ${unterminated", values.get, values.get) == "${A} ${unterminated"
