"""GPU probes without GPUs: a fake ``pynvml`` module and recorded tool outputs."""

from __future__ import annotations

import sys
import types
from pathlib import Path
from typing import Any

import pytest

from xaas_parsl.discovery import probe
from xaas_parsl.discovery.gpus import (
    amd_gpus_from_kfd,
    gfx_name,
    gpus_from_lspci,
    parse_kfd_properties,
    parse_rocm_smi_product,
    parse_rocm_version,
    parse_rocminfo,
    parse_sycl_ls,
    parse_xpu_smi_discovery,
)
from xaas_parsl.discovery.nvidia import cuda_version_from_int, parse_nvidia_smi, probe_nvml

from ._support import UPSTREAM


class FakeNVMLError(Exception):
    """Stands in for pynvml.NVMLError."""


def fake_pynvml(
    names: list[str], *, capability: tuple[int, int] = (9, 0), fail_init: bool = False
) -> types.ModuleType:
    """A module with the pynvml functions discovery calls, answering like a real driver."""
    module = types.ModuleType("pynvml")
    calls: dict[str, int] = {"shutdown": 0}

    def init() -> None:
        if fail_init:
            raise FakeNVMLError("NVML Shared Library Not Found")

    def shutdown() -> None:
        calls["shutdown"] += 1

    memory = types.SimpleNamespace(total=143771 * 1024 * 1024, free=0, used=0)
    attributes: dict[str, Any] = {
        "NVMLError": FakeNVMLError,
        "nvmlInit": init,
        "nvmlShutdown": shutdown,
        "nvmlSystemGetDriverVersion": lambda: "550.54.15",
        "nvmlSystemGetCudaDriverVersion": lambda: 12040,
        "nvmlDeviceGetCount": lambda: len(names),
        "nvmlDeviceGetHandleByIndex": lambda i: i,
        "nvmlDeviceGetName": lambda h: names[h],
        "nvmlDeviceGetCudaComputeCapability": lambda h: capability,
        "nvmlDeviceGetMemoryInfo": lambda h: memory,
        "calls": calls,
    }
    for name, value in attributes.items():
        setattr(module, name, value)
    return module


def test_nvml_h200() -> None:
    nvml = fake_pynvml(["NVIDIA H200"])
    result = probe_nvml(nvml)
    assert result is not None
    (gpu,) = result.gpus
    assert (gpu.vendor, gpu.name, gpu.compute_capability) == ("nvidia", "NVIDIA H200", "9.0")
    assert (gpu.driver_version, gpu.runtime_version) == ("550.54.15", "12.4")
    assert gpu.memory_bytes == 143771 * 1024 * 1024
    assert gpu.source == "nvml"
    assert result.cuda_driver_version == "12.4"
    assert nvml.calls["shutdown"] == 1


def test_nvml_bytes_names_and_failing_queries() -> None:
    nvml = fake_pynvml(["ignored"])

    def broken(handle: int) -> Any:
        raise FakeNVMLError("Not Supported")

    nvml.nvmlDeviceGetName = lambda h: b"NVIDIA GH200 120GB"  # type: ignore[attr-defined]
    nvml.nvmlDeviceGetMemoryInfo = broken  # type: ignore[attr-defined]
    result = probe_nvml(nvml)
    assert result is not None
    assert result.gpus[0].name == "NVIDIA GH200 120GB"
    assert result.gpus[0].memory_bytes is None


def test_nvml_error_means_no_gpus() -> None:
    assert probe_nvml(fake_pynvml([], fail_init=True)) is None


@pytest.mark.parametrize(("value", "text"), [(12040, "12.4"), (11080, "11.8"), (13000, "13.0")])
def test_cuda_driver_version(value: int, text: str) -> None:
    assert cuda_version_from_int(value) == text


def _no_gpu_tools(monkeypatch: pytest.MonkeyPatch) -> None:
    """Make local discovery independent of GPU tools that may exist on the test machine."""
    monkeypatch.setattr(probe, "_nvidia_smi", lambda: None)
    monkeypatch.setattr(probe, "_start_gpu_tools", lambda pool, **kwargs: {})
    monkeypatch.setattr(probe, "_kfd_nodes", list)


def test_discover_local_with_fake_gh200(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    _no_gpu_tools(monkeypatch)
    monkeypatch.setitem(sys.modules, "pynvml", fake_pynvml(["NVIDIA GH200 120GB"] * 4))
    info = probe.discover_local(cache_dir=tmp_path)
    assert len(info.gpus_of("nvidia")) == 4
    assert {g.compute_capability for g in info.gpus} == {"9.0"}
    cuda = info.backend("cuda")
    assert cuda is not None and cuda.version is not None


def test_discover_local_nvml_error(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    _no_gpu_tools(monkeypatch)
    monkeypatch.setitem(sys.modules, "pynvml", fake_pynvml([], fail_init=True))
    info = probe.discover_local(cache_dir=tmp_path)
    assert info.gpus == ()


def test_nvidia_smi_fallback() -> None:
    table = "NVIDIA H200, 9.0, 550.54.15, 143771\nNVIDIA H200, 9.0, 550.54.15, [N/A]\n"
    header = "| NVIDIA-SMI 550.54.15   Driver Version: 550.54.15   CUDA Version: 12.4 |"
    result = parse_nvidia_smi(table, header)
    assert [g.compute_capability for g in result.gpus] == ["9.0", "9.0"]
    assert result.gpus[0].memory_bytes == 143771 * 1024 * 1024
    assert result.gpus[1].memory_bytes is None
    assert (result.driver_version, result.cuda_driver_version) == ("550.54.15", "12.4")


# -- AMD --------------------------------------------------------------------------------------

KFD_GPU = """cpu_cores_count 0
simd_count 440
gfx_target_version 90010
vendor_id 4098
device_id 29704
"""
KFD_CPU = "cpu_cores_count 64\nsimd_count 0\ngfx_target_version 0\n"


@pytest.mark.parametrize(
    ("value", "name"), [(90010, "gfx90a"), (90402, "gfx942"), (110000, "gfx1100"), (0, None)]
)
def test_gfx_name(value: int, name: str | None) -> None:
    assert gfx_name(value) == name


def test_kfd_topology_skips_cpu_nodes() -> None:
    nodes = [parse_kfd_properties(KFD_CPU), parse_kfd_properties(KFD_GPU)]
    (gpu,) = amd_gpus_from_kfd(nodes, marketing_names=["AMD Instinct MI250X"], rocm_version="6.0.3")
    assert (gpu.vendor, gpu.name, gpu.compute_capability) == (
        "amd",
        "AMD Instinct MI250X",
        "gfx90a",
    )
    assert gpu.runtime_version == "6.0.3"


def test_rocm_smi_and_version() -> None:
    text = '{"card1": {"Card Series": "MI250X"}, "card0": {"Card series": "AMD Instinct MI250X"}}'
    assert parse_rocm_smi_product(text) == ["AMD Instinct MI250X", "MI250X"]
    assert parse_rocm_smi_product("not json") == []
    assert parse_rocm_version("6.0.3-91\n") == "6.0.3"


def test_rocminfo() -> None:
    text = """ROCk module is loaded
=====================
HSA System Attributes
=====================
Runtime Version:         1.1
*******
Agent 1
*******
  Name:                    AMD EPYC 7A53 64-Core Processor
  Device Type:             CPU
*******
Agent 2
*******
  Name:                    gfx90a
  Marketing Name:          AMD Instinct MI250X
  Device Type:             GPU
"""
    (gpu,) = parse_rocminfo(text)
    assert (gpu.compute_capability, gpu.marketing_name, gpu.runtime_version) == (
        "gfx90a",
        "AMD Instinct MI250X",
        "1.1",
    )


# -- Intel ------------------------------------------------------------------------------------


def test_xpu_smi_discovery() -> None:
    text = '{"device_list": [{"device_id": 0, "device_name": "Intel(R) Data Center GPU Max 1550"}]}'
    (gpu,) = parse_xpu_smi_discovery(text)
    assert (gpu.vendor, gpu.name) == ("intel", "Intel(R) Data Center GPU Max 1550")


def test_sycl_ls_prefers_level_zero() -> None:
    text = (
        "[opencl:gpu][opencl:1] Intel(R) OpenCL Graphics, Intel(R) Data Center GPU Max 1550 "
        "OpenCL 3.0 NEO  [23.22.26516.34]\n"
        "[level_zero:gpu][level_zero:0] Intel(R) Level-Zero, Intel(R) Data Center GPU Max 1550 "
        "1.3 [1.3.26918]\n"
        "[ext_oneapi_cuda:gpu:0] NVIDIA CUDA BACKEND, NVIDIA A100-SXM4-40GB 8.0 [CUDA 12.1]\n"
    )
    (gpu,) = parse_sycl_ls(text)
    assert (gpu.name, gpu.driver_version) == ("Intel(R) Data Center GPU Max 1550", "1.3.26918")


# -- lspci ------------------------------------------------------------------------------------


def test_lspci_ault25_host_bridges_are_not_gpus() -> None:
    import json

    lines = json.loads((UPSTREAM / "ault25.json").read_text())["Accelerators"]["Accelerators"][
        "lspci"
    ]
    assert len(lines) > 150
    gpus = gpus_from_lspci(lines)
    assert [g.vendor for g in gpus] == ["nvidia"] * 4
    assert gpus[0].name == "GA100 [A100 SXM4 40GB]"


def test_lspci_vendor_filter_and_display_classes() -> None:
    lines = [
        "03:00.0 VGA compatible controller: ASPEED Technology, Inc. ASPEED Graphics Family",
        "c1:00.0 Display controller: Advanced Micro Devices, Inc. [AMD/ATI] Aldebaran/MI200 "
        "[Instinct MI250X] (rev 01)",
        "00:00.0 Host bridge: Advanced Micro Devices, Inc. [AMD] Starship/Matisse Root Complex",
    ]
    (gpu,) = gpus_from_lspci(lines)
    assert (gpu.vendor, gpu.name) == ("amd", "Aldebaran/MI200 [Instinct MI250X]")
    assert gpus_from_lspci(lines, vendors={"nvidia"}) == []
