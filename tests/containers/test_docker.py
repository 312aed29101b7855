"""Docker and native runtimes: rendered command lines (pure) and the native runtime for real."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from xaas_parsl.containers.run import make_spec, parse_gpus, runtime
from xaas_parsl.containers.runtime.base import Bind, GpuRequest, MpiRequest, RunSpec
from xaas_parsl.containers.runtime.docker import DockerRuntime
from xaas_parsl.containers.runtime.native import NativeRuntime
from xaas_parsl.errors import InputError


def test_docker_argv_applies_site_conventions() -> None:
    spec = RunSpec("img:1", ("heat2d-test", "--n", "7"),
                   binds=(Bind("/scratch/in", "/in"), Bind("/scratch/out", "/out", False)),
                   env=(("OMP_NUM_THREADS", "4"),), workdir="/out")
    argv = DockerRuntime().run_argv(spec)
    assert argv[:4] == ["docker", "run", "--rm", "--network"] and argv[4] == "none"
    assert argv[argv.index("--user") + 1] == f"{os.getuid()}:{os.getgid()}"
    assert "--read-only" in argv
    at = argv.index("/scratch/in:/in:ro")
    assert argv[at - 1] == "--volume"
    assert "/scratch/out:/out:rw" in argv and "OMP_NUM_THREADS=4" in argv
    assert argv[-4:] == ["img:1", "heat2d-test", "--n", "7"]


def test_docker_gpu_and_mpi_rendering() -> None:
    rt = DockerRuntime()
    nv = rt.run_argv(RunSpec("i", ("a",), gpus=GpuRequest("nvidia", 2)))
    assert nv[nv.index("--gpus") + 1] == "count=2"
    assert "all" in rt.run_argv(RunSpec("i", ("a",), gpus=GpuRequest()))
    amd = rt.run_argv(RunSpec("i", ("a",), gpus=GpuRequest("amd")))
    assert "/dev/kfd" in amd and "/dev/dri" in amd
    intel = rt.run_argv(RunSpec("i", ("a",), gpus=GpuRequest("intel")))
    assert intel[intel.index("--device") + 1] == "/dev/dri"
    mpi = rt.run_argv(RunSpec("i", ("a",), mpi=MpiRequest(4)))
    assert mpi[-5:] == ["i", "mpiexec", "-n", "4", "a"]
    caps = rt.capabilities()
    assert caps.build and caps.run and caps.verified_here and "--gpus" in caps.gpu_flags


def test_run_option_parsing() -> None:
    spec = make_spec("i", ["a"], ["/tmp:/t:rw"], ["K=V=W"], user="1000:1000", gpus="amd:2",
                     ranks=3)
    assert spec.binds == (Bind("/tmp", "/t", False),) and spec.env == (("K", "V=W"),)
    assert spec.gpus == GpuRequest("amd", 2) and spec.mpi == MpiRequest(3)
    for bad in ("cuda", "nvidia:x"):
        with pytest.raises(InputError):
            parse_gpus(bad)
    with pytest.raises(InputError, match="KEY=VALUE"):
        make_spec("i", ["a"], [], ["novalue"])
    with pytest.raises(InputError, match="UID"):
        make_spec("i", ["a"], [], [], user="alice")
    with pytest.raises(InputError, match="no command"):
        make_spec("i", [], [], [])
    with pytest.raises(InputError, match="does not run on this machine"):
        runtime("sarus")


def test_native_runtime_runs_against_a_prefix(tmp_path: Path) -> None:
    bin_dir = tmp_path / "prefix" / "bin"
    bin_dir.mkdir(parents=True)
    tool = bin_dir / "hello-xaas"
    tool.write_text("#!/bin/sh\necho \"hello $WHO\"; echo err >&2; exit 4\n")
    tool.chmod(0o755)
    rt = NativeRuntime()
    res = rt.run(RunSpec(str(tmp_path / "prefix"), ("hello-xaas",), env=(("WHO", "x"),)))
    assert (res.exit_code, res.stdout, res.stderr) == (4, "hello x\n", "err\n")
    with pytest.raises(InputError, match="cannot map"):
        rt.run_argv(RunSpec(str(tmp_path), ("a",), binds=(Bind("/a", "/b"),)))
    with pytest.raises(InputError, match="GPU or MPI"):
        rt.run_argv(RunSpec(str(tmp_path), ("a",), gpus=GpuRequest()))
    with pytest.raises(InputError, match="install prefix"):
        rt.run(RunSpec(str(tmp_path / "missing"), ("a",)))
