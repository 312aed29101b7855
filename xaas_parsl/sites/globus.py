"""Globus Compute: the deployment steps (:mod:`xaas_parsl.steps`) submitted to an endpoint.

Two sides, each driven by the Globus packages' own code rather than a copy of it:

* **endpoint side** (``globus-compute-endpoint``, an optional extra: ``pip install .[globus]``):
  each site has ``site_configs/<site>/globus/user_config_template.yaml.j2`` and
  ``user_config_schema.json``, generated from ``site.yaml`` (:mod:`.globus_templates`).
  :func:`render_endpoint_template` and :func:`load_endpoint_config` call the endpoint's renderer
  and loader, so a template that works here is one that ``globus-compute-endpoint`` accepts on
  the login node; :func:`started_engine` and :func:`run_on_engine` run a step through the
  endpoint's ``GlobusComputeEngine`` as the endpoint would, minus the web service.
* **SDK side** (``globus-compute-sdk``, a core dependency): :func:`gce_executor` is Parsl's
  ``GlobusComputeExecutor`` labelled ``compute``, so it can stand in for the compute executor
  of a site config; :func:`submit_step` sends a step through a plain SDK ``Executor``.

The Globus packages are imported only when used, so the rest of xaas-parsl works without them,
and a missing package is a one-line :class:`~xaas_parsl.errors.ToolError` naming the extra.
"""

from __future__ import annotations

import argparse
import importlib
import json
import os
import pwd
import shutil
import sys
import uuid
from collections.abc import Callable, Iterator, Mapping, Sequence
from concurrent.futures import Future
from contextlib import contextmanager
from dataclasses import asdict
from pathlib import Path
from types import ModuleType
from typing import Any

import jsonschema

from xaas_parsl.errors import InputError, ToolError, XaasError
from xaas_parsl.sites.facts import SITE_CONFIGS, known_sites, load_site
from xaas_parsl.sites.globus_templates import SCHEMA_NAME, TEMPLATE_NAME, schema_text, template_text

INSTALL_HINT = "pip install '.[globus]' (or pip install 'xaas-parsl[globus]')"
STEP_NAMES = ("discover_system", "load_spec_points", "intersect", "deploy_source", "run_tests")


def _module(name: str) -> ModuleType:
    """Import a Globus module on first use, turning its absence into a one-line error."""
    try:
        return importlib.import_module(name)
    except ImportError as err:
        package = name.split(".")[0].replace("_", "-")
        raise ToolError(f"{package} is not installed ({err}); install it with {INSTALL_HINT}") \
            from err


# --- files -------------------------------------------------------------------------------------

def template_dir(site: str, root: Path = SITE_CONFIGS) -> Path:
    """``site_configs/<site>/globus``; an unknown site is an error naming the known ones."""
    if not (root / site / "site.yaml").is_file():
        raise InputError(f"unknown site {site!r}: known sites are "
                         f"{', '.join(known_sites(root)) or 'none'}")
    return root / site / "globus"


def template_path(site: str, root: Path = SITE_CONFIGS) -> Path:
    """The site's ``user_config_template.yaml.j2``."""
    return template_dir(site, root) / TEMPLATE_NAME


def schema_path(site: str, root: Path = SITE_CONFIGS) -> Path:
    """The site's ``user_config_schema.json`` (the user options it accepts)."""
    return template_dir(site, root) / SCHEMA_NAME


def generated_files(site: str, root: Path = SITE_CONFIGS) -> dict[Path, str]:
    """What ``write-templates`` writes for ``site``: path -> text, from ``site.yaml``."""
    facts = load_site(site, root)
    return {template_path(site, root): template_text(facts),
            schema_path(site, root): schema_text(facts)}


def write_templates(sites: Sequence[str] = (), root: Path = SITE_CONFIGS,
                    check: bool = False) -> list[Path]:
    """Regenerate the endpoint files of ``sites`` (default: all); return those that differed.

    With ``check`` nothing is written: the result lists the stale files.
    """
    stale = []
    for site in sites or known_sites(root):
        for path, text in generated_files(site, root).items():
            if path.is_file() and path.read_text(encoding="utf-8") == text:
                continue
            stale.append(path)
            if not check:
                path.parent.mkdir(parents=True, exist_ok=True)
                path.write_text(text, encoding="utf-8")
    return stale


# --- endpoint side -----------------------------------------------------------------------------

def _option_error(err: jsonschema.ValidationError, site: str, path: Path) -> InputError:
    where = "/".join(str(p) for p in err.absolute_path)
    subject = f"user endpoint option {where!r}" if where else "user endpoint options"
    return InputError(f"{site}: invalid {subject}: {err.message}", path)


def check_user_options(site: str, options: Mapping[str, Any],
                       root: Path = SITE_CONFIGS) -> dict[str, Any]:
    """Validate ``user_endpoint_config`` options against the site's schema, on the submit side.

    The endpoint validates them again before rendering; checking here turns a typo into an error
    at submission instead of a failed task minutes later. Needs only ``jsonschema``.
    """
    path = schema_path(site, root)
    schema = json.loads(path.read_text(encoding="utf-8"))
    data = dict(options)
    error = jsonschema.exceptions.best_match(jsonschema.Draft202012Validator(schema)
                                             .iter_errors(data))
    if error is not None:
        raise _option_error(error, site, path)
    return data


def render_endpoint_template(site: str, root: Path = SITE_CONFIGS, **user_opts: Any) -> str:
    """Render the site's template with ``user_opts`` the way a multi-user endpoint does.

    Uses the endpoint package's own reader, schema check and sandboxed Jinja renderer (with the
    same reserved variables: this user's identity and the SDK's user runtime), so rejections
    here are the ones users would get from the endpoint.
    """
    utils = _module("globus_compute_endpoint.endpoint.config.utils")
    config_mod = _module("globus_compute_endpoint.endpoint.config")
    identity = _module("globus_compute_endpoint.endpoint.identity_mapper")
    batch = _module("globus_compute_sdk.sdk.batch")
    jinja2 = _module("jinja2")
    path = template_path(site, root)
    if not path.is_file():
        raise InputError(f"no endpoint template for {site}: run python -m "
                         "xaas_parsl.sites.globus write-templates", path)
    template = utils.load_user_config_template(path)
    schema = utils.load_user_config_schema(schema_path(site, root))
    mapped = identity.MappedPosixIdentity(
        local_user_record=pwd.getpwuid(os.getuid()),
        matched_identity=uuid.UUID(int=0),
        globus_identity_candidates=[],
    )
    runtime = json.loads(json.dumps(asdict(batch.create_user_runtime())))
    try:
        text: str = utils.render_config_user_template(
            parent_config=config_mod.CoreEndpointConfig(),
            user_config_template=template,
            user_config_template_path=path,
            mapped_identity=mapped,
            user_config_schema=schema,
            user_opts=user_opts,
            user_runtime=runtime,
        )
    except jsonschema.ValidationError as err:
        raise _option_error(err, site, schema_path(site, root)) from err
    except jinja2.exceptions.UndefinedError as err:
        raise InputError(f"{site}: missing user endpoint option ({err})", path) from err
    except ValueError as err:  # a reserved variable name given as an option
        raise InputError(f"{site}: {err}", path) from err
    return text


def load_endpoint_config(site: str, root: Path = SITE_CONFIGS, **user_opts: Any) -> Any:
    """The endpoint's ``UserEndpointConfig`` for ``site`` and ``user_opts``.

    Rendering is :func:`render_endpoint_template`; loading is the endpoint's
    ``load_config_yaml``, which builds the engine, provider and launcher objects (nothing is
    started). The engine is returned as ``config.engine``.
    """
    utils = _module("globus_compute_endpoint.endpoint.config.utils")
    click = _module("click")
    text = render_endpoint_template(site, root, **user_opts)
    try:
        return utils.load_config_yaml(text)
    except click.ClickException as err:
        raise InputError(f"{site}: endpoint config does not load: {err.message}",
                         template_path(site, root)) from err


@contextmanager
def started_engine(engine: Any, run_dir: str | Path,
                   endpoint_id: uuid.UUID | None = None) -> Iterator[Any]:
    """Start a ``GlobusComputeEngine`` (e.g. ``load_endpoint_config(...).engine``); stop it after.

    The engine launches its interchange and workers as ``globus-compute-endpoint python-exec
    ...``, so that command must be on ``PATH``; when it is not (a virtual environment used
    without activation) the interpreter's own ``bin`` directory is put in front while the
    engine runs (workers may be started by the scaling strategy at any time).
    """
    old_path = os.environ.get("PATH", "")
    if shutil.which("globus-compute-endpoint") is None:
        bindir = Path(sys.executable).parent
        if not (bindir / "globus-compute-endpoint").exists():
            raise ToolError(f"globus-compute-endpoint is not installed; {INSTALL_HINT}")
        os.environ["PATH"] = str(bindir) + os.pathsep + old_path
    try:
        Path(run_dir).mkdir(parents=True, exist_ok=True)
        engine.start(endpoint_id=endpoint_id or uuid.uuid4(), run_dir=str(run_dir))
        try:
            yield engine
        finally:
            engine.shutdown()
    finally:
        os.environ["PATH"] = old_path


def pack_task(task_id: uuid.UUID, function_buffer: str, args_buffer: str) -> bytes:
    """The message an endpoint receives for one task: the registered function's buffer followed
    by the submitted arguments' buffer (as the SDK packs them), in a messagepack ``Task``."""
    messagepack = _module("globus_compute_common.messagepack")
    types = _module("globus_compute_common.messagepack.message_types")
    task = types.Task(task_id=task_id, task_buffer=function_buffer + args_buffer)
    packed: bytes = messagepack.pack(task)
    return packed


def submit_to_engine(engine: Any, task_id: uuid.UUID, packed_task: bytes,
                     resource_specification: dict[str, Any] | None = None) -> Future[Any]:
    """Hand a packed task to a started engine; the future holds the endpoint's ``Result``."""
    base = _module("globus_compute_endpoint.engines.base")
    messagepack = _module("globus_compute_common.messagepack")
    gc_future = base.GCFuture(task_id)
    result: Future[Any] = Future()

    def unpack(done: Future[Any]) -> None:
        try:
            result.set_result(messagepack.unpack(done.result()))
        except Exception as err:  # the engine failed, not the task: hand it to the caller
            result.set_exception(err)

    gc_future.add_done_callback(unpack)
    engine.submit(gc_future, packed_task, resource_specification or {})
    return result


def run_on_engine(engine: Any, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Future[Any]:
    """Run ``fn(*args, **kwargs)`` through a started engine, serialised by the SDK's serializer.

    The future holds the deserialised return value, or raises the SDK's ``TaskExecutionFailed``
    carrying the remote traceback, as the SDK would report it.
    """
    facade = _module("globus_compute_sdk.serialize")
    errors = _module("globus_compute_sdk.errors")
    serde = facade.ComputeSerializer()
    fn_buffer = serde.pack_buffers([serde.serialize(fn)])
    args_buffer = serde.pack_buffers([serde.serialize(args), serde.serialize(kwargs)])
    task_id = uuid.uuid4()
    raw = submit_to_engine(engine, task_id, pack_task(task_id, fn_buffer, args_buffer))
    value: Future[Any] = Future()

    def decode(done: Future[Any]) -> None:
        try:
            res = done.result()
            if res.is_error:
                value.set_exception(errors.TaskExecutionFailed(res.data, "0"))
            else:
                value.set_result(serde.deserialize(res.data))
        except Exception as err:
            value.set_exception(err)

    raw.add_done_callback(decode)
    return value


# --- SDK side ----------------------------------------------------------------------------------

def step_function(step_name: str) -> Callable[..., Any]:
    """A deployment step of :mod:`xaas_parsl.steps` by name."""
    if step_name not in STEP_NAMES:
        raise InputError(f"unknown step {step_name!r} (known: {', '.join(STEP_NAMES)})")
    steps = importlib.import_module("xaas_parsl.steps")
    fn: Callable[..., Any] = getattr(steps, step_name)
    return fn


def sdk_executor(endpoint_id: str | uuid.UUID, *, client: Any = None,
                 user_endpoint_config: Mapping[str, Any] | None = None,
                 resource_specification: Mapping[str, Any] | None = None) -> Any:
    """A ``globus_compute_sdk.Executor`` for the endpoint (a default ``Client`` logs in)."""
    sdk = _module("globus_compute_sdk")
    return sdk.Executor(
        endpoint_id=endpoint_id, client=client,
        user_endpoint_config=dict(user_endpoint_config) if user_endpoint_config else None,
        resource_specification=dict(resource_specification) if resource_specification else None,
    )


def gce_executor(endpoint_id: str | uuid.UUID, *, client: Any = None,
                 user_endpoint_config: Mapping[str, Any] | None = None,
                 label: str = "compute", executor: Any = None) -> Any:
    """Parsl's ``GlobusComputeExecutor`` over an SDK ``Executor``, labelled ``compute``.

    Apps declared with ``executors=["compute"]`` then run on the endpoint instead of a
    site's HighThroughputExecutor; the ``login`` executor of a site config stays as it is.
    Give ``executor`` to reuse an SDK Executor (its ``endpoint_id`` then wins).
    """
    parsl_gce = _module("parsl.executors.globus_compute")
    sdk = executor or sdk_executor(endpoint_id, client=client,
                                   user_endpoint_config=user_endpoint_config)
    return parsl_gce.GlobusComputeExecutor(executor=sdk, label=label)


def globus_config(endpoint_id: str | uuid.UUID, *, client: Any = None,
                  user_endpoint_config: Mapping[str, Any] | None = None,
                  login_threads: int = 4, run_dir: str | Path = "runinfo") -> Any:
    """A Parsl ``Config`` shaped like :func:`xaas_parsl.sites.config`: ``login`` threads here,
    ``compute`` on the Globus Compute endpoint; the same apps run unchanged on either."""
    parsl_config = _module("parsl.config")
    threads = _module("parsl.executors.threads")
    return parsl_config.Config(
        executors=[threads.ThreadPoolExecutor(label="login", max_threads=login_threads),
                   gce_executor(endpoint_id, client=client,
                                user_endpoint_config=user_endpoint_config)],
        run_dir=str(run_dir),
    )


def submit_step(executor: Any, step_name: str, *args: Any, **kwargs: Any) -> Future[Any]:
    """Submit a step by name through an SDK ``Executor`` (or any ``concurrent`` executor)."""
    future: Future[Any] = executor.submit(step_function(step_name), *args, **kwargs)
    return future


# --- command line ------------------------------------------------------------------------------

def main(argv: Sequence[str] | None = None) -> int:
    """``python -m xaas_parsl.sites.globus write-templates [--check] [SITE...]`` or
    ``... render SITE [--options JSON]``."""
    parser = argparse.ArgumentParser(prog="python -m xaas_parsl.sites.globus",
                                     description="Globus Compute endpoint templates")
    sub = parser.add_subparsers(dest="command", required=True)
    write = sub.add_parser("write-templates", help="generate the templates from site.yaml")
    write.add_argument("sites", nargs="*")
    write.add_argument("--check", action="store_true", help="only report stale files (exit 1)")
    render = sub.add_parser("render", help="render a site's template with user options")
    render.add_argument("site")
    render.add_argument("--options", default="{}", help="user options as a JSON object")
    args = parser.parse_args(argv)
    try:
        if args.command == "write-templates":
            stale = write_templates(args.sites, check=args.check)
            verb = "stale" if args.check else "wrote"
            for path in stale:
                print(f"{verb} {path}")
            return 1 if args.check and stale else 0
        options = json.loads(args.options)
        if not isinstance(options, dict):
            raise InputError("--options must be a JSON object")
        print(render_endpoint_template(args.site, **options), end="")
        return 0
    except (XaasError, json.JSONDecodeError) as err:
        print(f"xaas: error: {err}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
