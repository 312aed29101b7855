"""Runs a Cloud Workflows translation on workflows-emulator against ``xaas flow serve``.

The emulator (PyPI ``workflows-emulator`` 1.10.0) is driven in-process through its own loader
(``load_workflow``: YAML file + its JSON Schema) and ``execute_workflow`` — what its CLI ``run``
command does — so the test runs the YAML text we emit, not our data. Each execution runs in a
fresh ``contextvars.Context``: the emulator keeps a parallel ``for``'s loop variables in context
variables of the calling thread, and a second execution in the same thread would otherwise see
the first one's values (a fresh emulator process, as its CLI gives, has none).

One emulator deviation is corrected here, in the open: workflows-emulator 1.10.0 runs all
branches/iterations of a ``parallel`` step on ONE shared dictionary of variables
(``StepParallel.execute_task_config`` deep-copies the context once and hands the same copy to
every thread), while Cloud Workflows gives each branch and iteration its own scope and shares
only the variables listed in ``shared``. With the emulator as shipped, an iteration's local
``output`` is overwritten by a sibling iteration between the call and the next step (measured:
2 of 40 runs of a 100-item map lost results). ``scoped_parallel`` is the same method with one
change: every thread gets its own copy of the variables, and afterwards the ``shared``
variables are merged back element by element (list slots / map keys a branch changed). It
is installed only while ``run_emulated`` runs. It also keeps each iteration's loop variables in
a context of the iteration's own (see the comment inside).
"""

from __future__ import annotations

import contextvars
import copy
import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from tests.flow.translate.harness import Outcome, served_calls
from xaas_parsl.flow.load import load_workflow as load_definition
from xaas_parsl.flow.serve import FunctionServer
from xaas_parsl.flow.translate.gcp_emit import emit_gcp


def translate(definition: Path, server: FunctionServer, out: Path) -> Path:
    wf = load_definition(definition)
    out.write_text(emit_gcp(wf, lambda name: f"{server.url}/{name}"))
    return out


def _merge(current: Any, base: Any, changed: Any) -> Any:
    """``current`` with what one branch changed relative to ``base`` (slots, keys, or whole)."""
    if isinstance(base, list) and isinstance(changed, list) and isinstance(current, list) \
            and len(base) == len(changed) == len(current):
        return [c if c != b else cur for cur, b, c in zip(current, base, changed, strict=True)]
    if isinstance(base, dict) and isinstance(changed, dict) and isinstance(current, dict):
        out = dict(current)
        out.update({k: v for k, v in changed.items() if base.get(k, _MISSING) != v})
        return out
    return changed


_MISSING = object()


def scoped_parallel(self: Any, task_configs: list[Any], concurrency_limit: int | None = None,
                    index_var: str = "__index", value_var: str = "__value") -> Any:
    """``StepParallel.execute_task_config`` with one variable scope per branch/iteration."""
    from workflows_emulator.main import execute_step, run_with_context
    from workflows_emulator.utils import RisingThread, WorkflowError

    base = copy.deepcopy(self.context)
    # loop variables of enclosing parallel loops stay readable, as plain variables of the scope
    outer = {var.name: value for var, value in contextvars.copy_context().items()
             if var.name not in base}
    shared = list(dict.fromkeys(self.config["parallel"].get("shared", [])))
    ctx_var_index: contextvars.ContextVar[Any] = contextvars.ContextVar(index_var)
    ctx_var_value: contextvars.ContextVar[Any] = contextvars.ContextVar(value_var)
    scopes, threads = [], []
    for index, task_config in enumerate(task_configs):
        # a fresh context per thread holding only this iteration's loop variables: the
        # emulator sets them in the calling thread, where they shadow later loops' variables
        # of the same name (a second map over another list saw the first map's items)
        thread_context = contextvars.Context()
        thread_context.run(ctx_var_value.set, task_config["id"])
        thread_context.run(ctx_var_index.set, index)
        scope = {**copy.deepcopy(outer), **copy.deepcopy(base)}
        scopes.append(scope)
        threads.append(RisingThread(target=run_with_context, kwargs={
            "fn": execute_step, "thread_context": thread_context,
            "step_id": str(task_config["id"]), "config": task_config["config"],
            "context": scope}))
    for thread in threads:
        thread.start()
    errors: dict[str, Any] = {}
    for task_config, thread in zip(task_configs, threads, strict=True):
        try:
            thread.join()
        except WorkflowError as err:
            errors[task_config["id"]] = err
    merged = {name: base[name] for name in shared if name in base}
    for scope in scopes:
        for name in shared:
            if name in scope and scope[name] != base.get(name, _MISSING):
                merged[name] = _merge(merged.get(name), base.get(name), scope[name])
    self.context.update(merged)
    self.check_raise_results(errors)
    return self.context


@contextmanager
def _scoped_emulator() -> Iterator[None]:
    from workflows_emulator.main import StepParallel

    original = StepParallel.execute_task_config
    StepParallel.execute_task_config = scoped_parallel  # type: ignore[method-assign]
    try:
        yield
    finally:
        StepParallel.execute_task_config = original  # type: ignore[method-assign]


def run_emulated(workflow_yaml: Path, payload: Any, server: FunctionServer) -> Outcome:
    from workflows_emulator.main import execute_workflow, load_workflow

    config = load_workflow(str(workflow_yaml))
    os.environ["GOOGLE_CLOUD_WORKFLOW_EXECUTION_ID"] = str(uuid.uuid4())
    server.take_calls()
    try:
        with _scoped_emulator():
            output = contextvars.Context().run(execute_workflow, config, {"input": payload})
    except Exception as exc:  # the emulator raises its WorkflowError (or the HTTP error)
        return Outcome(False, error=f"{type(exc).__name__}: {exc}",
                       calls=served_calls(server.take_calls()))
    return Outcome(True, output=output, calls=served_calls(server.take_calls()))
