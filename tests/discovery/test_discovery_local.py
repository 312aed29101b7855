"""Discovery on this machine: real CPU, compilers and libraries; no GPU is needed."""

from __future__ import annotations

import json
import platform
import shutil
from pathlib import Path

import pytest

from tests.conftest import host_cpu_flags, needs_infra
from xaas_parsl.discovery.cpu import normalise_arch
from xaas_parsl.discovery.load import native_schema
from xaas_parsl.discovery.model import SystemInfo
from xaas_parsl.discovery.probe import CACHE_FILE, discover_local
from xaas_parsl.discovery.runner import default_cache_dir, run
from xaas_parsl.discovery.upstream import from_upstream, to_upstream
from xaas_parsl.fileio import validate

from ._support import assert_no_sentence_versions


@pytest.fixture(scope="module")
def local(tmp_path_factory: pytest.TempPathFactory) -> SystemInfo:
    return discover_local(cache_dir=tmp_path_factory.mktemp("cache"))


_proc_flags = host_cpu_flags


def test_architecture_and_flags(local: SystemInfo) -> None:
    assert local.cpu.architecture == normalise_arch(platform.machine())
    if platform.machine() == "x86_64":
        assert local.cpu.architecture == "x86_64"
    if "avx512f" not in _proc_flags():
        pytest.skip("this CPU has no avx512f")
    assert local.has_flag("avx512f")
    assert local.cpu.flags_complete
    assert local.cpu.fma_units is None


def test_native_document_is_schema_valid(local: SystemInfo) -> None:
    data = json.loads(json.dumps(local.to_dict()))
    validate(data, native_schema(), "local", "native system")
    assert SystemInfo.from_dict(data) == local
    assert_no_sentence_versions(data)
    assert_no_sentence_versions(to_upstream(local))


def test_upstream_conversion_of_local(local: SystemInfo) -> None:
    again = from_upstream(to_upstream(local), "local")
    assert again.cpu.architecture == local.cpu.architecture
    assert {c.executable for c in again.compilers} == {c.executable for c in local.compilers}


@needs_infra(shutil.which("gcc") is None, "no gcc here")
def test_gcc_found_with_version(local: SystemInfo) -> None:
    (gcc,) = [c for c in local.compilers if c.executable == "gcc"]
    assert (gcc.language, gcc.family) == ("c", "GCC")
    assert gcc.version is not None and gcc.version[0].isdigit()


@needs_infra(shutil.which("cmake") is None, "no cmake here")
def test_cmake_version(local: SystemInfo) -> None:
    assert (local.tools.get("cmake") or "")[:1].isdigit()


def test_cache_written_and_bypassed(tmp_path: Path) -> None:
    cached = tmp_path / "cached"
    first = discover_local(cache_dir=cached)
    cache_file = cached / CACHE_FILE
    if first.compilers or first.tools or first.container_runtimes:
        assert json.loads(cache_file.read_text())["entries"]
    assert discover_local(cache_dir=cached) == first
    bypass = tmp_path / "bypass"
    assert discover_local(use_cache=False, cache_dir=bypass) == first
    assert not bypass.exists()


def test_corrupt_cache_is_ignored(tmp_path: Path) -> None:
    (tmp_path / CACHE_FILE).write_text("{not json")
    assert discover_local(cache_dir=tmp_path).cpu.architecture


def test_nothing_on_path_is_not_an_error(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    monkeypatch.setenv("LD_LIBRARY_PATH", str(tmp_path / "missing"))
    monkeypatch.setenv("LOADEDMODULES", "gcc/13.3.0")
    info = discover_local(use_cache=False)
    assert info.compilers == () and info.tools == {} and info.container_runtimes == ()
    assert info.modules == {"gcc": "13.3.0"}


def test_runner_treats_missing_and_failing_tools_as_absent(tmp_path: Path) -> None:
    assert run([str(tmp_path / "no-such-tool"), "--version"]) is None
    failing = tmp_path / "failing"
    failing.write_text("#!/bin/sh\necho 'version 1.2.3'\nexit 1\n")
    failing.chmod(0o755)
    assert run([str(failing)]) is None  # output of a failed run is not trusted
    script = tmp_path / "slow"
    script.write_text("#!/bin/sh\nsleep 5\n")
    script.chmod(0o755)
    assert run([str(script)], timeout=0.2) is None


def test_default_cache_dir_honours_xdg(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    assert default_cache_dir() == tmp_path / "xaas-parsl"


def test_pycpuinfo_fallback_is_cached(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Without a usable /proc/cpuinfo, py-cpuinfo answers once per boot, then the cache does."""
    import sys
    import types

    from xaas_parsl.discovery import cpu, probe
    from xaas_parsl.discovery.runner import ToolCache

    calls = []
    fake = types.ModuleType("cpuinfo")

    def get_cpu_info() -> dict[str, object]:
        calls.append(1)
        return {
            "arch_string_raw": "x86_64",
            "vendor_id_raw": "GenuineIntel",
            "brand_raw": "Fake Xeon",
            "family": 6,
            "model": 0x8F,
            "flags": ["avx512f"],
        }

    fake.get_cpu_info = get_cpu_info  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "cpuinfo", fake)
    real_read = cpu._read
    monkeypatch.setattr(cpu, "_read", lambda p: None if p == "/proc/cpuinfo" else real_read(p))
    if not Path("/proc/sys/kernel/random/boot_id").exists():
        pytest.skip("no boot id to key the cache")
    for _ in range(2):
        cache = ToolCache(tmp_path / "cache.json")
        info = cpu.probe_cpu(probe._pycpuinfo(cache))
        cache.save()
        assert (info.model_name, info.microarchitecture) == ("Fake Xeon", "sapphirerapids")
    assert len(calls) == 1
