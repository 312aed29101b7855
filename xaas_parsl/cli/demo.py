"""``xaas demo``: the README's smaller job (the main one is ``xaas showcase``), in rich."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click
from rich.console import Console
from rich.table import Table

from xaas_parsl.cli.intersect import build_policy, policy_options
from xaas_parsl.cli.output import writable_file
from xaas_parsl.demo import run_direct, run_parsl
from xaas_parsl.descriptor import bundled_app, load_app
from xaas_parsl.discovery.load import load_system
from xaas_parsl.errors import ToolError
from xaas_parsl.fileio import write_json


def render(console: Console, report: dict[str, Any]) -> None:
    """The chosen configuration, its CMake arguments and the reasons, as tables."""
    inter = report["intersection"]
    choice = inter["choice"]
    system = inter["system"]
    table = Table(title=f"Chosen configuration: {report['configuration']}")
    table.add_column("decision", style="bold")
    table.add_column("value")
    gpus = system.get("gpus") or []
    cpu_name = system.get("model_name") or system.get("microarchitecture") or "unknown CPU"
    table.add_row("node", f"{cpu_name} ({system.get('architecture')})"
                  + (f", {len(gpus)} GPU(s)" if gpus else ", no GPU"))
    table.add_row("SIMD", choice["simd"] or "-")
    table.add_row("GPU backend", choice["gpu_backend"] or "none")
    if choice["cuda_architectures"]:
        table.add_row("CUDA architectures", ";".join(choice["cuda_architectures"]))
    table.add_row("parallel", ", ".join(choice["parallel"]) or "none")
    table.add_row("FFT", choice["fft"] or "-")
    if choice["gpu_fft"]:
        table.add_row("GPU FFT", choice["gpu_fft"])
    table.add_row("BLAS", choice["blas"] or "-")
    table.add_row("compiler", choice["compiler"] or "-")
    console.print(table)
    args = Table(title="CMake arguments", show_header=False)
    args.add_column("argument", style="cyan")
    for arg in report["cmake_args"]:
        args.add_row(arg)
    console.print(args)
    console.print("[bold]Why:[/bold]")
    for reason in choice["reasons"]:
        console.print(f"  • {reason}")
    for warning in inter["warnings"]:
        console.print(f"  [yellow]warning:[/yellow] {warning}")


def choose_runtime(console: Console, runtime: str) -> str:
    """Resolve ``auto``: Docker when an engine answers, else native; say which and why."""
    if runtime == "native":
        return runtime
    from xaas_parsl.containers.engine import probe

    problem = probe()
    if problem is not None:
        if runtime == "docker":
            raise ToolError(problem)
        console.print(f"[yellow]No container runtime:[/yellow] {problem} "
                      "-> building natively on this host.")
        return "native"
    console.print("Docker engine found: deploying from the app's container "
                  "(base images bootstrapped once, cached).")
    return "docker"


@click.command("demo")
@click.option("--app", "app_ref", default="heat2d", show_default=True,
              help="Bundled app name or path to an app.yaml.")
@click.option("--system", "system_file", type=click.Path(path_type=Path), default=None,
              help="Plan for this system file instead of the local node (no build).")
@policy_options
@click.option("--build/--no-build", default=None,
              help="Build the chosen configuration and run the app's tests "
                   "(default: yes for the local node, no with --system).")
@click.option("--engine", type=click.Choice(["parsl", "direct"]), default="parsl",
              show_default=True,
              help="parsl: the steps run as Parsl apps on the local site config; "
                   "direct: in this process.")
@click.option("--deploy", "mode", type=click.Choice(["source", "ir"]), default=None,
              help="source: build the chosen configuration from source; ir: build the app's IR "
                   "bundle once and deploy the chosen matrix configuration by lowering "
                   "(default: ir in a container, source natively).")
@click.option("--runtime", type=click.Choice(["auto", "docker", "native"]), default="auto",
              show_default=True,
              help="docker: deploy from the app's container and test inside it; native: build "
                   "on this host; auto: docker when a Docker engine answers.")
@click.option("--workdir", type=click.Path(path_type=Path), default=Path(".xaas-demo"),
              show_default=True, help="Where builds (and Parsl's runinfo) go.")
@click.option("--report", type=click.Path(path_type=Path),
              callback=writable_file, default=Path("xaas-report.json"),
              show_default=True)
def demo(
    app_ref: str,
    system_file: Path | None,
    policy_file: Path | None,
    prefer: tuple[str, ...],
    pin: tuple[str, ...],
    use_gpu: bool | None,
    use_mpi: bool | None,
    build: bool | None,
    engine: str,
    mode: str | None,
    runtime: str,
    workdir: Path,
    report: Path,
) -> None:
    """Discover this node, choose the example app's configuration, build and test it."""
    if build and system_file is not None:
        raise click.UsageError("--build builds on this node; it cannot be combined with --system")
    build = system_file is None if build is None else build
    console = Console()
    app = load_app(app_ref) if ("/" in app_ref or app_ref.endswith(".yaml")) else bundled_app(
        app_ref)
    policy = build_policy(policy_file, prefer, pin, use_gpu, use_mpi)
    target = workdir.resolve() if build else None
    if build:
        runtime = choose_runtime(console, runtime)
    mode = mode or ("ir" if runtime == "docker" else "source")
    if system_file is not None:
        data = run_direct(app, policy, load_system(system_file), None)
    elif engine == "parsl":
        with console.status("Running the steps as Parsl apps on the local site…"):
            data = run_parsl(app, policy, target, mode=mode, runtime=runtime)
    else:
        with console.status("Discovering, choosing and building…"):
            data = run_direct(app, policy, None, target, mode=mode, runtime=runtime)
    render(console, data)
    for test in data["tests"]:
        mark = "[green]PASS[/green]" if test["passed"] else "[red]FAIL[/red]"
        console.print(f"test {test['name']}: {mark} ({test['seconds']} s)")
    if data["build"] and data["build"].get("runtime") == "docker":
        b = data["build"]
        how = "reused, nothing built" if b["reused"] else "built"
        console.print(f"deployed {b['image']} from the {b['image_kind']} container "
                      f"{b['from_image']}"
                      f" in {b['seconds']} s ({how}; tests ran inside it; install tree copied "
                      f"to {b['prefix']})")
    elif data["build"]:
        console.print(f"built in {data['build']['seconds']} s under {data['build']['prefix']} "
                      f"({data['engine']}, natively)")
    write_json(report, data)
    console.print(f"report written to {report}")
    failed = [t["name"] for t in data["tests"] if not t["passed"]]
    if failed:
        raise ToolError(f"tests failed: {', '.join(failed)}", report)
