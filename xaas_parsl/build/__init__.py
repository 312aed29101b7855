"""Building CMake applications with chosen options, and running their installed tests."""

from xaas_parsl.build.cmake import BuildResult, TestResult, cmake_build, run_app_tests

__all__ = ["BuildResult", "TestResult", "cmake_build", "run_app_tests"]
