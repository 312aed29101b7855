"""Real builds of the bundled example application xaas_parsl/bundled_apps/heat2d.

Every configuration is configured, built and installed once per session (CMake + Ninja into a
temporary directory, -j2) and its ``heat2d-test`` is run. Levels the host CPU cannot run, and
optional tools (fftw3, MPI, clang, nvcc) that are missing, are skipped with the reason.
"""

from __future__ import annotations

import json
import os
import platform
import re
import shutil
import struct
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.conftest import host_cpu_flags, infra_missing, needs_infra
from xaas_parsl.packaged import BUNDLED_APPS

REPO = Path(__file__).resolve().parents[2]
APP = BUNDLED_APPS / "heat2d"
CMAKELISTS = APP / "CMakeLists.txt"
SPEC = APP / "specialization-points.json"

CMAKE = shutil.which("cmake")
NINJA = shutil.which("ninja")
CTEST = shutil.which("ctest")
IS_X86 = platform.machine().lower() in {"x86_64", "amd64", "i686", "i386"}
IS_AARCH64 = platform.machine().lower() in {"aarch64", "arm64"}

needs_cmake = needs_infra(CMAKE is None, "cmake is not installed")

# /proc/cpuinfo flags each x86 level needs (the same features the CMake AUTO probe checks).
LEVEL_CPU_FLAGS = {
    "SSE4.1": {"sse4_1"},
    "AVX2_256": {"avx2", "fma"},
    "AVX_512": {"avx512f"},
}

PASS_RE = re.compile(
    r"^heat2d-test: PASS simd=(?P<simd>\S+) fft=(?P<fft>\S+) "
    r"openmp_threads=(?P<threads>\d+) mpi_ranks=(?P<ranks>\d+) gpu=(?P<gpu>\S+) "
    r"cases=(?P<cases>\d+)$",
    re.M,
)
CASE_RE = re.compile(
    r"^heat2d-test: case n=(?P<n>\d+) steps=(?P<steps>\d+): a11=(?P<a11>\S+) .*"
    r"checksum=(?P<checksum>\S+) -> ok$",
    re.M,
)


# ---------------------------------------------------------------------------------------------
# helpers
# ---------------------------------------------------------------------------------------------


cpu_flags = host_cpu_flags


def expected_auto_level() -> str:
    flags = cpu_flags()
    if IS_AARCH64:
        return "ARM_NEON_ASIMD"
    if IS_X86:
        for level in ("AVX_512", "AVX2_256", "SSE4.1"):
            if LEVEL_CPU_FLAGS[level] <= flags:
                return level
    return "None"


def skip_unless_cpu_runs(level: str) -> None:
    if level in LEVEL_CPU_FLAGS:
        if not IS_X86:
            pytest.skip(f"{level} is an x86 level; host is {platform.machine()}")
        missing = LEVEL_CPU_FLAGS[level] - cpu_flags()
        if missing:
            pytest.skip(f"host CPU lacks {', '.join(sorted(missing))} needed by {level}")
    if level == "ARM_NEON_ASIMD" and not IS_AARCH64:
        pytest.skip("ARM_NEON_ASIMD runs on AArch64 only")


def run(
    cmd: list[str],
    *,
    cwd: Path | None = None,
    env: dict[str, str] | None = None,
    timeout: float = 300,
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        cmd, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout, check=False
    )


def run_env(threads: int) -> dict[str, str]:
    env = dict(os.environ)
    env["OMP_NUM_THREADS"] = str(threads)
    return env


def configure(
    build_dir: Path, options: dict[str, str], prefix: Path | None = None
) -> subprocess.CompletedProcess[str]:
    cmd = [CMAKE or "cmake", "-S", str(APP), "-B", str(build_dir), "-DCMAKE_BUILD_TYPE=Release"]
    if NINJA:
        cmd += ["-G", "Ninja"]
    if prefix is not None:
        cmd.append(f"-DCMAKE_INSTALL_PREFIX={prefix}")
    cmd += [f"-D{name}={value}" for name, value in options.items()]
    return run(cmd)


def output_of(proc: subprocess.CompletedProcess[str]) -> str:
    return proc.stdout + proc.stderr


@dataclass(frozen=True)
class Build:
    build_dir: Path
    prefix: Path
    configure_output: str

    @property
    def bin(self) -> Path:
        return self.prefix / "bin"

    def heat2d_test(self, threads: int = 2) -> subprocess.CompletedProcess[str]:
        proc = run([str(self.bin / "heat2d-test")], env=run_env(threads))
        assert proc.returncode == 0, output_of(proc)
        return proc


class Builder:
    """Configure + build + install each distinct option set once per session."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.cache: dict[tuple[tuple[str, str], ...], Build] = {}

    def __call__(self, **options: str) -> Build:
        key = tuple(sorted(options.items()))
        if key not in self.cache:
            name = "-".join(f"{k.removeprefix('HEAT2D_')}_{v}" for k, v in key) or "default"
            name = re.sub(r"[^A-Za-z0-9_.-]", "_", name)
            build_dir, prefix = self.root / f"build-{name}", self.root / f"install-{name}"
            proc = configure(build_dir, options, prefix)
            assert proc.returncode == 0, f"configure failed:\n{output_of(proc)}"
            for cmd in (
                [CMAKE or "cmake", "--build", str(build_dir), "--parallel", "2"],
                [CMAKE or "cmake", "--install", str(build_dir)],
            ):
                step = run(cmd)
                assert step.returncode == 0, f"{' '.join(cmd)} failed:\n{output_of(step)}"
            self.cache[key] = Build(build_dir, prefix, output_of(proc))
        return self.cache[key]


@pytest.fixture(scope="session")
def build(tmp_path_factory: pytest.TempPathFactory) -> Builder:
    if CMAKE is None:
        infra_missing("cmake is not installed")
    return Builder(tmp_path_factory.mktemp("heat2d"))


def pass_line(proc: subprocess.CompletedProcess[str]) -> re.Match[str]:
    match = PASS_RE.search(proc.stdout)
    assert match, f"no PASS line in:\n{output_of(proc)}"
    return match


def cases(proc: subprocess.CompletedProcess[str]) -> dict[tuple[int, int], tuple[float, float]]:
    """(n, steps) -> (a11, checksum) of every case."""
    found = {
        (int(m["n"]), int(m["steps"])): (float(m["a11"]), float(m["checksum"]))
        for m in CASE_RE.finditer(proc.stdout)
    }
    assert found, f"no case lines in:\n{proc.stdout}"
    return found


def fftw3_available() -> bool:
    pkg_config = shutil.which("pkg-config")
    if pkg_config is None:
        return False
    return run([pkg_config, "--exists", "fftw3 >= 3.3"]).returncode == 0


def cmake_options() -> dict[str, str]:
    """CMake cache options declared in CMakeLists.txt: name -> default value."""
    text = CMAKELISTS.read_text()
    found = {m[1]: m[2] for m in re.finditer(r'option\(\s*(\w+)\s+"[^"]*"\s+(\w+)\s*\)', text)}
    found |= {m[1]: m[2] for m in re.finditer(r'set\(\s*(\w+)\s+"([^"]*)"\s+CACHE\s+STRING', text)}
    return found


def cmake_strings() -> dict[str, list[str]]:
    """The STRINGS property of every multichoice option in CMakeLists.txt."""
    text = CMAKELISTS.read_text()
    pattern = r"set_property\(\s*CACHE\s+(\w+)\s+PROPERTY\s+STRINGS\s+([^)]*)\)"
    return {m[1]: m[2].split() for m in re.finditer(pattern, text)}


# ---------------------------------------------------------------------------------------------
# builds and numerics
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("level", ["None", "SSE4.1", "AVX2_256", "AVX_512"])
def test_simd_level_passes_numerics(build: Builder, level: str) -> None:
    skip_unless_cpu_runs(level)
    b = build(HEAT2D_SIMD=level, HEAT2D_OPENMP="ON", HEAT2D_FFT="builtin")
    assert f"HEAT2D_SIMD     : {level} -> {level}" in b.configure_output
    match = pass_line(b.heat2d_test(threads=2))
    assert match["simd"] == level
    assert (match["fft"], match["threads"], match["ranks"], match["gpu"]) == (
        "builtin",
        "2",
        "1",
        "OFF",
    )
    assert int(match["cases"]) >= 2


def test_simd_levels_agree_with_each_other(build: Builder) -> None:
    """Same physics whatever the SIMD path: the (1,1) amplitudes agree to rounding."""
    levels = [
        lvl
        for lvl in ("None", "SSE4.1", "AVX2_256", "AVX_512")
        if lvl == "None" or (IS_X86 and LEVEL_CPU_FLAGS[lvl] <= cpu_flags())
    ]
    results = {
        lvl: cases(build(HEAT2D_SIMD=lvl, HEAT2D_OPENMP="ON", HEAT2D_FFT="builtin").heat2d_test())
        for lvl in levels
    }
    base = results["None"]
    for lvl, res in results.items():
        assert res.keys() == base.keys(), lvl
        for key, (a11, _) in res.items():
            assert a11 == pytest.approx(base[key][0], rel=1e-12), (lvl, key)


def test_auto_picks_best_level_for_this_cpu_without_openmp(build: Builder) -> None:
    expected = expected_auto_level()
    b = build(HEAT2D_SIMD="AUTO", HEAT2D_OPENMP="OFF", HEAT2D_FFT="builtin")
    assert f"HEAT2D_SIMD=AUTO selected {expected}" in b.configure_output
    assert "HEAT2D_OPENMP   : OFF" in b.configure_output
    match = pass_line(b.heat2d_test(threads=2))
    assert match["simd"] == expected
    assert match["threads"] == "1"  # built without OpenMP: OMP_NUM_THREADS is irrelevant


def test_openmp_thread_count_does_not_change_the_result(build: Builder) -> None:
    b = build(HEAT2D_SIMD="None", HEAT2D_OPENMP="ON", HEAT2D_FFT="builtin")
    one, two = b.heat2d_test(threads=1), b.heat2d_test(threads=2)
    assert pass_line(one)["threads"] == "1"
    assert pass_line(two)["threads"] == "2"
    assert cases(one) == cases(two)  # rows are independent: bit-identical


def test_fftw3_backend_gives_the_builtin_coefficients(build: Builder) -> None:
    if not fftw3_available():
        infra_missing("pkg-config cannot find fftw3 >= 3.3")
    builtin = build(HEAT2D_SIMD="None", HEAT2D_OPENMP="ON", HEAT2D_FFT="builtin")
    fftw3 = build(HEAT2D_SIMD="None", HEAT2D_OPENMP="ON", HEAT2D_FFT="fftw3")
    proc = fftw3.heat2d_test()
    assert pass_line(proc)["fft"] == "fftw3"
    with_fftw, with_builtin = cases(proc), cases(builtin.heat2d_test())
    assert with_fftw.keys() == with_builtin.keys()
    for key, (a11, checksum) in with_fftw.items():
        assert checksum == with_builtin[key][1]  # same field ...
        assert a11 == pytest.approx(with_builtin[key][0], rel=1e-13)  # ... same amplitude


def test_mpi_one_and_two_ranks_agree(build: Builder) -> None:
    mpiexec = shutil.which("mpiexec")
    if shutil.which("mpicxx") is None or mpiexec is None:
        infra_missing("no MPI compiler wrapper (mpicxx) / mpiexec")
    if CTEST is None:
        infra_missing("ctest is not installed")
    b = build(HEAT2D_SIMD="AUTO", HEAT2D_OPENMP="ON", HEAT2D_MPI="ON", HEAT2D_FFT="builtin")
    ctest = run([CTEST, "--output-on-failure"], cwd=b.build_dir)
    assert ctest.returncode == 0, output_of(ctest)
    assert "heat2d-test-mpi-2" in ctest.stdout

    results = {}
    for ranks in (1, 2):
        proc = run([mpiexec, "-n", str(ranks), str(b.bin / "heat2d-test")], env=run_env(1))
        assert proc.returncode == 0, output_of(proc)
        assert pass_line(proc)["ranks"] == str(ranks)
        results[ranks] = cases(proc)
    assert results[1] == results[2]  # the decomposition does not change any value


def test_cli_reports_level_and_speed(build: Builder) -> None:
    b = build(HEAT2D_SIMD="None", HEAT2D_OPENMP="ON", HEAT2D_FFT="builtin")
    assert {"heat2d", "heat2d-test"} <= {p.name for p in b.bin.iterdir()}
    proc = run([str(b.bin / "heat2d"), "--n", "131", "--steps", "20"], env=run_env(2))
    assert proc.returncode == 0, output_of(proc)
    assert re.search(r"simd\s+: None \(HEAT2D_SIMD=None", proc.stdout)
    assert re.search(r"[\d.]+ GFLOP/s", proc.stdout)
    assert "131 x 131 interior points, 20 steps" in proc.stdout
    assert proc.stdout.rstrip().endswith("-> ok")
    bad = run([str(b.bin / "heat2d"), "--n", "zero"])
    assert bad.returncode == 2
    assert "--n expects an integer" in bad.stderr


# ---------------------------------------------------------------------------------------------
# configure-level checks: NEON, GPU back ends, invalid values
# ---------------------------------------------------------------------------------------------


def compile_kernel_freestanding(tmp_path: Path, target: str, kernel: str,
                                flags: list[str]) -> bytes:
    """Compile one kernel file with clang-19 for ``target`` without any libstdc++ headers and
    return the object's first bytes (the ELF header)."""
    clang = shutil.which("clang++-19")
    if clang is None:
        infra_missing("clang++-19 is not installed")
    obj = tmp_path / "kernel.o"
    proc = run([clang, f"--target={target}", "-ffreestanding", "-std=c++17", "-O2", "-Wall",
                "-Wextra", "-Werror", *flags, "-c", str(APP / "src/kernels" / kernel),
                "-o", str(obj)])
    assert proc.returncode == 0, output_of(proc)
    header = obj.read_bytes()[:20]
    assert header[:4] == b"\x7fELF"
    assert header[4] == 2 and header[5] == 1  # ELFCLASS64, little-endian
    return header


def test_neon_kernel_compiles_freestanding_for_aarch64(tmp_path: Path) -> None:
    header = compile_kernel_freestanding(tmp_path, "aarch64-linux-gnu", "stencil_neon.cpp", [])
    (e_machine,) = struct.unpack_from("<H", header, 18)
    assert e_machine == 183  # EM_AARCH64


@pytest.mark.parametrize(
    ("kernel", "flags"),
    [
        ("stencil_scalar.cpp", []),
        ("stencil_sse41.cpp", ["-msse4.1"]),
        ("stencil_avx2.cpp", ["-mavx2", "-mfma"]),
        ("stencil_avx512.cpp", ["-mavx512f", "-mfma"]),
    ],
)
def test_x86_kernels_compile_freestanding(tmp_path: Path, kernel: str, flags: list[str]) -> None:
    header = compile_kernel_freestanding(tmp_path, "x86_64-linux-gnu", kernel, flags)
    (e_machine,) = struct.unpack_from("<H", header, 18)
    assert e_machine == 62  # EM_X86_64


@needs_cmake
def test_neon_on_x86_is_a_clear_configure_error(tmp_path: Path) -> None:
    if not IS_X86:
        pytest.skip("host is not x86")
    proc = configure(tmp_path / "b", {"HEAT2D_SIMD": "ARM_NEON_ASIMD"})
    assert proc.returncode != 0
    assert "HEAT2D_SIMD=ARM_NEON_ASIMD requires an AArch64" in output_of(proc)


@needs_cmake
def test_x86_level_on_aarch64_is_a_clear_configure_error(tmp_path: Path) -> None:
    if not IS_AARCH64:
        pytest.skip("host is not AArch64")
    proc = configure(tmp_path / "b", {"HEAT2D_SIMD": "AVX2_256"})
    assert proc.returncode != 0
    assert "is an x86 SIMD level" in output_of(proc)


@needs_cmake
def test_unknown_option_value_is_rejected(tmp_path: Path) -> None:
    proc = configure(tmp_path / "b", {"HEAT2D_SIMD": "AVX3"})
    assert proc.returncode != 0
    assert "HEAT2D_SIMD=AVX3 is not a valid value" in output_of(proc)


@needs_cmake
def test_hip_without_rocm_fails_at_configure(tmp_path: Path) -> None:
    if shutil.which("hipconfig") or Path("/opt/rocm").exists():
        pytest.skip("a HIP installation is present")
    proc = configure(tmp_path / "b", {"HEAT2D_GPU": "HIP"})
    out = output_of(proc)
    assert proc.returncode != 0
    assert 'provided by "hip"' in out or "HEAT2D_GPU=HIP needs CMake" in out, out


@needs_cmake
def test_cuda_configure_reaches_the_toolkit_check(tmp_path: Path) -> None:
    nvcc = shutil.which("nvcc")
    if nvcc is None or run([nvcc, "--version"]).returncode != 0:
        pytest.skip("nvcc is not usable")
    proc = configure(tmp_path / "b", {"HEAT2D_GPU": "CUDA"})
    out = output_of(proc)
    if proc.returncode == 0:
        assert re.search(r"HEAT2D_GPU\s+: CUDA \d", out), out
    else:
        assert "CUDAToolkit" in out or "CUDA" in out, out


# ---------------------------------------------------------------------------------------------
# specialization-points.json and app.yaml against CMakeLists.txt (they must not drift)
# ---------------------------------------------------------------------------------------------

TOP_LEVEL_KEYS = {
    "gpu_build",
    "gpu_backends",
    "parallel_programming_libraries",
    "linear_algebra_libraries",
    "FFT_libraries",
    "other_external_libraries",
    "compiler_flags",
    "optimization_build_flags",
    "compilers",
    "architectures",
    "simd_vectorization",
    "build_system",
    "internal_build",
}


def spec() -> dict:
    return json.loads(SPEC.read_text())


def all_build_flags(data: dict) -> list[str]:
    flags = [data["gpu_build"]["build_flag"]]
    for section in (
        "gpu_backends",
        "parallel_programming_libraries",
        "FFT_libraries",
        "simd_vectorization",
        "linear_algebra_libraries",
        "other_external_libraries",
    ):
        flags += [entry["build_flag"] for entry in data[section].values()]
    flags.append(data["internal_build"]["build_flag"])
    return [f for f in flags if f is not None]


def test_spec_has_the_13_upstream_keys() -> None:
    data = spec()
    assert set(data) == TOP_LEVEL_KEYS
    assert data["build_system"] == {"type": "cmake", "minimum_version": "3.18"}
    assert "cmake_minimum_required(VERSION 3.18)" in CMAKELISTS.read_text()
    assert data["gpu_build"] == {"value": True, "build_flag": "-DHEAT2D_GPU"}


def test_every_flag_names_a_cmake_option() -> None:
    options = cmake_options()
    for flag in all_build_flags(spec()):
        match = re.fullmatch(r"-D(\w+)(?:=(.+))?", flag)
        assert match, flag
        assert match[1] in options, f"{flag}: {match[1]} is not an option in CMakeLists.txt"


@pytest.mark.parametrize(
    ("section", "option", "extra"),
    [
        ("simd_vectorization", "HEAT2D_SIMD", set()),
        ("FFT_libraries", "HEAT2D_FFT", set()),
        ("gpu_backends", "HEAT2D_GPU", {"OFF"}),
    ],
)
def test_multichoice_values_match_cmake_strings(section: str, option: str, extra: set) -> None:
    strings = cmake_strings()[option]
    entries = spec()[section]
    for name, entry in entries.items():
        assert entry["build_flag"] == f"-D{option}={name}"
        assert name in strings, f"{name} not in STRINGS of {option}: {strings}"
    assert set(entries) | extra == set(strings), "spec and CMakeLists.txt list different values"


def test_defaults_match_cmake_defaults() -> None:
    data, options = spec(), cmake_options()
    simd_defaults = [n for n, e in data["simd_vectorization"].items() if e["default"]]
    assert simd_defaults == [options["HEAT2D_SIMD"]] == ["AUTO"]
    fft_defaults = [n for n, e in data["FFT_libraries"].items() if e["used_as_default"]]
    assert fft_defaults == [options["HEAT2D_FFT"]] == ["builtin"]
    assert data["FFT_libraries"]["builtin"]["built-in"] is True
    assert options["HEAT2D_GPU"] == "OFF"
    assert not any(e["used_as_default"] for e in data["gpu_backends"].values())
    for name, entry in data["parallel_programming_libraries"].items():
        flag = entry["build_flag"]
        assert "=" not in flag, f"boolean flag {flag} should not carry a value"
        default_on = options[flag.removeprefix("-D")] == "ON"
        assert entry["used_as_default"] is default_on, name


def test_spec_minimum_versions_match_find_package_calls() -> None:
    text, data = CMAKELISTS.read_text(), spec()
    assert "find_package(CUDAToolkit 11.0 REQUIRED)" in text
    assert data["gpu_backends"]["CUDA"]["minimum_version"] == "11.0"
    assert "find_package(hip 5.2 REQUIRED)" in text
    assert data["gpu_backends"]["HIP"]["minimum_version"] == "5.2"
    assert "find_package(MPI 3.0 REQUIRED COMPONENTS CXX)" in text
    assert data["parallel_programming_libraries"]["MPI"]["minimum_version"] == "3.0"


def test_spec_loads_with_the_project_loader() -> None:
    try:
        from xaas_parsl.spec import load_spec
    except ImportError as exc:  # the loader is developed alongside
        pytest.skip(f"xaas_parsl.spec.load_spec not importable: {exc}")
    load_spec(SPEC)


def test_app_yaml_matches_the_cmake_project() -> None:
    yaml = pytest.importorskip("yaml")
    app = yaml.safe_load((APP / "app.yaml").read_text())
    text, options, strings = CMAKELISTS.read_text(), cmake_options(), cmake_strings()
    assert app["name"] == "heat2d"
    assert f"project(heat2d VERSION {app['version']} LANGUAGES CXX)" in text
    assert (APP / app["source"] / "CMakeLists.txt").is_file()
    assert (APP / app["specialization_points"]).resolve() == SPEC.resolve()
    for target in app["build"]["targets"]:
        assert re.search(rf"add_executable\({re.escape(target)}\s", text), target
    for axis in app["matrix"]:
        assert axis["option"] in options, axis
        if axis["kind"] == "select":
            assert set(axis["values"]) <= set(strings[axis["option"]])
            assert set(axis["arch"]) <= set(axis["values"])
    for option, value in app["fixed"].items():
        assert option in options, option
        if option in strings:
            assert value in strings[option], (option, value)
    assert [t["command"] for t in app["tests"]] == [["heat2d-test"]]
