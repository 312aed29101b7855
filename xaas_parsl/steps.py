"""The deployment steps as plain functions of JSON-able values.

These are the one implementation behind the three doors: Parsl apps (``xaas_parsl.apps``)
wrap them, Globus Compute endpoints run them, and the CLI calls the same library functions.
The deployment pipeline (``xaas_parsl.deploy.pipeline``) builds on the primitives here
(``deploy_source``, ``build_ir_bundle``, ``run_tests``); mode-dependent deployment lives there.
Arguments and results are plain dicts/strings so they serialise across processes and machines,
and every import happens inside the function so a remote worker only needs ``xaas_parsl``
installed.
"""

from __future__ import annotations

from typing import Any


def discover_system(fmt: str = "native", use_cache: bool = True) -> dict[str, Any]:
    """Describe the node this runs on (native format by default)."""
    from xaas_parsl.discovery.load import dump_system
    from xaas_parsl.discovery.probe import discover_local

    return dump_system(discover_local(use_cache=use_cache), "xaas" if fmt == "xaas" else "native")


def load_spec_points(app_descriptor: str) -> dict[str, Any]:
    """The specialization points of an app descriptor, as the validated JSON dict."""
    from xaas_parsl.descriptor import load_app

    return dict(load_app(app_descriptor).spec().raw)


def discover_spec_points(source_dir: str) -> dict[str, Any]:
    """Specialization points of a CMake project, by static analysis of its build system."""
    from pathlib import Path

    from xaas_parsl.spec.discover import discover_spec

    return discover_spec(Path(source_dir))


def build_ir_bundle(
    app_descriptor: str, workdir: str, configs: list[str] | None = None,
    arch: str | None = None
) -> dict[str, Any]:
    """Build (or bring up to date) the app's IR bundle of ISA family ``arch`` (default: this
    host's; another family's lies beside it, ``<app>-ir-bundle-<arch>``: bundles are per
    family); its summary (path, jobs, unique IRs)."""
    from pathlib import Path

    from xaas_parsl.descriptor import load_app
    from xaas_parsl.ir.build import build_bundle
    from xaas_parsl.ir.cross import family, is_cross

    app = load_app(app_descriptor)
    fam = family(arch)
    name = f"{app.name}-ir-bundle" + (f"-{fam.arch}" if is_cross(fam) else "")
    return build_bundle(app, Path(workdir) / name, configs, quiet=True, arch=fam.arch)


def intersect(
    spec: dict[str, Any], system: dict[str, Any], policy: dict[str, Any] | None = None
) -> dict[str, Any]:
    """Intersect a spec dict with a system dict (either format); the JSON of ``xaas intersect``."""
    from xaas_parsl.discovery.load import system_from_data
    from xaas_parsl.intersection import intersect as do_intersect
    from xaas_parsl.intersection import policy_from_dict
    from xaas_parsl.spec import spec_from_dict

    chosen = policy_from_dict(policy, "<policy>") if policy else None
    result = do_intersect(
        spec_from_dict(spec, "<spec>"), system_from_data(system, "<system>"), chosen
    )
    return result.to_dict()


def deploy_source(
    app_descriptor: str, intersection: dict[str, Any], workdir: str
) -> dict[str, Any]:
    """Build the configuration an intersection chose, natively, under ``workdir``."""
    import hashlib
    from pathlib import Path

    from xaas_parsl.build.cmake import cmake_build
    from xaas_parsl.descriptor import load_app

    app = load_app(app_descriptor)
    args = list(app.cmake_args) + list(intersection["choice"]["cmake_args"])
    config = app.config_name(args)
    # <app>-<config>-<hash of the exact arguments>: a changed flag never reuses a build tree.
    digest = hashlib.sha256("\0".join(args).encode()).hexdigest()[:10]
    tree = Path(workdir) / f"{app.name}-{config}-{digest}"
    build = cmake_build(app.source, tree / "build", tree / "install", args)
    return {
        "app": app.name,
        "configuration": config,
        "cmake_args": args,
        "prefix": str(build.prefix),
        "build_dir": str(build.build_dir),
        "seconds": round(build.seconds, 3),
        "mode": "source",
    }


def matrix_configuration(app_descriptor: str, intersection: dict[str, Any]) -> str:
    """The build-matrix configuration (``OPENMP+AVX_512``) an intersection's choice selects."""
    from xaas_parsl.descriptor import load_app

    app = load_app(app_descriptor)
    return app.config_name(list(app.cmake_args) + list(intersection["choice"]["cmake_args"]))


def run_tests(app_descriptor: str, deployment: dict[str, Any]) -> dict[str, Any]:
    """Run the app descriptor's tests against a deployment's install prefix."""
    from pathlib import Path

    from xaas_parsl.build.cmake import run_app_tests
    from xaas_parsl.descriptor import load_app

    app = load_app(app_descriptor)
    results = run_app_tests(app, Path(deployment["prefix"]))
    return {
        "app": app.name,
        "configuration": deployment.get("configuration"),
        "passed": all(t.passed for t in results),
        "tests": [
            {"name": t.name, "passed": t.passed, "returncode": t.returncode,
             "seconds": round(t.seconds, 3), "output": t.output[-2000:]}
            for t in results
        ],
    }
