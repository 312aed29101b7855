"""What runs *inside* the toolchain-based containers: ``python3 -m xaas_parsl.containers.inside``.

The host side (``source.py``, ``ir_image.py``) copies the app and this package into a container
and calls one of these subcommands; each prints one JSON object on stdout, or one line
``xaas: error: ...`` on stderr and exits 1, which the host turns into its own one-line error.
Discovery and intersection run here, in the container, on the node that will run the app
(or from a system file the host put in). Only the standard library, PyYAML, jsonschema and
rich are needed, which the toolchain image carries as Debian packages.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from xaas_parsl.errors import InputError, XaasError
from xaas_parsl.safety import config_name, inside

APP_FILE = Path("/xaas/app/app.yaml")
BUNDLE = Path("/xaas/bundle")
BUILD = Path("/xaas/build")
PREFIX = Path("/opt/xaas/app")
SYSTEM_FILE = "/xaas/in/system.json"


def _system(system_file: str | None) -> dict[str, Any]:
    from xaas_parsl import steps
    from xaas_parsl.fileio import load_json

    if system_file:
        data: dict[str, Any] = load_json(Path(system_file))
        return data
    return steps.discover_system(use_cache=False)


def plan(mode: str, system_file: str | None, config: str | None) -> dict[str, Any]:
    """Discover (or read) the target, intersect with the app's spec points, name the config.

    In ``ir`` mode the configuration must be one the bundle holds; ``config`` given skips the
    intersection's choice of it (the target is still recorded for the labels).
    """
    from xaas_parsl import steps
    from xaas_parsl.descriptor import load_app
    from xaas_parsl.fileio import load_json
    from xaas_parsl.ir.cross import host_arch

    app = load_app(APP_FILE)
    bundle_arch = load_json(BUNDLE / "bundle.json").get("arch") if mode == "ir" else None
    if bundle_arch and bundle_arch != host_arch() and system_file is None:
        # cross-lowering in a cross toolchain: this container is not the node; nothing to
        # discover, nothing to intersect (as ``xaas ir deploy`` without --target)
        if config is None:
            raise InputError(f"this IR container holds {bundle_arch} IR and runs on "
                             f"{host_arch()}: name a --config or the node's --system", APP_FILE)
        chosen = {"choice": {}, "system": {"architecture": bundle_arch}}
    else:
        system = _system(system_file)
        if bundle_arch and system_file:  # a node of another family: one error, up front
            from xaas_parsl.discovery.load import system_from_data
            from xaas_parsl.ir.node import check_node

            check_node({"arch": bundle_arch}, system_from_data(system, "--system"), "--system")
        chosen = steps.intersect(app.spec().raw, system)
    choice = chosen["choice"]
    if mode == "source":
        args = [*app.cmake_args, *choice["cmake_args"]]
        name = app.config_name(args)
        if config is not None and config != name:
            raise InputError(f"source deployment builds the intersection's choice {name!r}; "
                             f"--config {config!r} is for IR containers", APP_FILE)
        return {"config": name, "cmake_args": args, "choice": choice,
                "system": chosen["system"]}
    meta = load_json(BUNDLE / "bundle.json")
    if config is None:
        matrix = {m.option for m in app.matrix}
        picked = [a for a in choice["cmake_args"]
                  if a.startswith("-D") and a[2:].split("=", 1)[0].split(":", 1)[0] in matrix]
        config = app.config_name(picked)
        if config not in meta["configs"]:
            raise InputError(f"the intersection chose configuration {config!r}, which this IR "
                             f"container lacks (it has: {', '.join(meta['configs'])})", APP_FILE)
    elif config not in meta["configs"]:
        raise InputError(f"the app does not support configuration {config!r} here (this IR "
                         f"container has: {', '.join(meta['configs'])})", APP_FILE)
    name = config_name(config, BUNDLE / "bundle.json")  # from the bundle: names a file
    manifest = load_json(inside(BUNDLE, f"configs/{name}.json", "manifest"))
    return {"config": config, "cmake_args": [*app.cmake_args, *manifest["cmake_args"]],
            "choice": choice, "system": chosen["system"]}


def source_build(cmake_args: list[str], jobs: int) -> dict[str, Any]:
    """Configure, build and install the app with ``cmake_args`` into ``/opt/xaas/app``."""
    from xaas_parsl.build.cmake import cmake_build
    from xaas_parsl.descriptor import load_app

    app = load_app(APP_FILE)
    args = [*cmake_args, "-DCMAKE_C_COMPILER=clang-19", "-DCMAKE_CXX_COMPILER=clang++-19"]
    result = cmake_build(app.source, BUILD, PREFIX, args, jobs=jobs)
    return {"prefix": str(PREFIX), "seconds": round(result.seconds, 3)}


def ir_build(configs: list[str] | None, jobs: int, mode: str = "split",
             arch: str | None = None) -> dict[str, Any]:
    """Build the IR bundle of the app at ``/xaas/bundle`` (all or the named configurations;
    ``mode`` and ``arch`` as ``xaas ir build --mode/--arch``)."""
    from xaas_parsl.descriptor import load_app
    from xaas_parsl.ir.build import build_bundle

    return build_bundle(load_app(APP_FILE), BUNDLE, configs, jobs=jobs, quiet=True, mode=mode,
                        arch=arch)


def ir_deploy(config: str, jobs: int, system_file: str | None = None,
              tuning: list[str] | None = None, tuned_for: str | None = None
              ) -> dict[str, Any]:
    """Lower and link ``config`` from the bundle and install it into ``/opt/xaas/app``; with
    the node's system file it is checked against the bundle's family. ``tuning``: the flags
    the host computed for the node's CPU ``tuned_for`` (``ir.node.node_tuning``)."""
    from xaas_parsl.ir.deploy import deploy

    return deploy(BUNDLE, config, Path(system_file) if system_file else None,
                  install_dir=PREFIX, jobs=jobs, quiet=True, tuning=(tuning or [], tuned_for))


def main(argv: list[str] | None = None) -> int:
    """Parse the subcommand, print its JSON result; errors as one ``xaas: error:`` line."""
    parser = argparse.ArgumentParser(prog="xaas-inside")
    sub = parser.add_subparsers(dest="cmd", required=True)
    p = sub.add_parser("plan")
    p.add_argument("mode", choices=["source", "ir"])
    p.add_argument("--system", default=None)
    p.add_argument("--config", default=None)
    b = sub.add_parser("source-build")
    b.add_argument("--args", required=True, help="JSON list of CMake arguments")
    i = sub.add_parser("ir-build")
    i.add_argument("--configs", default=None)
    i.add_argument("--ir-mode", choices=["split", "full"], default="split")
    i.add_argument("--arch", default=None)
    d = sub.add_parser("ir-deploy")
    d.add_argument("--config", required=True)
    d.add_argument("--system", default=None)
    d.add_argument("--tuning", default="[]", help="JSON list of -m flags")
    d.add_argument("--tuned-for", default=None)
    for s in (b, i, d):
        s.add_argument("-j", "--jobs", type=int, default=2)
    ns = parser.parse_args(argv)
    try:
        if ns.cmd == "plan":
            out = plan(ns.mode, ns.system, ns.config)
        elif ns.cmd == "source-build":
            out = source_build(json.loads(ns.args), ns.jobs)
        elif ns.cmd == "ir-build":
            names = [c for c in ns.configs.split(",") if c] if ns.configs else None
            out = ir_build(names, ns.jobs, ns.ir_mode, ns.arch)
        else:
            out = ir_deploy(ns.config, ns.jobs, ns.system, json.loads(ns.tuning),
                            ns.tuned_for)
    except XaasError as exc:  # the host re-raises the same class (see engine.exec_json)
        print(f"xaas: error: {exc.one_line()}", file=sys.stderr)
        print(json.dumps({"error": {"type": type(exc).__name__, "problem": exc.problem}}))
        return 1
    print(json.dumps(out))
    return 0


if __name__ == "__main__":
    sys.exit(main())
