"""SeBS-Flow workflows on Parsl: load, check and run platform-neutral workflow definitions.

Layers, from pure to edge:

* ``model``/``load``: typed states (task, map, loop, repeat, switch, parallel) from JSON or YAML,
  checked by the published JSON Schema (``xaas flow schema``) and by name/graph checks;
* ``core``: the interpreter's rules as pure functions (payload paths, switch comparisons, map
  items, the next state);
* ``engine``: the driver walking the states; ``calls``: its contract with the invokers;
  ``invokers``: one call attempt as a Parsl app (``ParslInvoker``, chains submitted ahead) or a
  local thread (``LocalInvoker``); ``worker``/``runtime``: the call on the worker and what a
  handler may ask of it;
* ``storage``/``measure``: object storage for bulk data, measurement records and their stores;
* ``runner``/``apps``: a run from plain options, and a run as one Parsl app (``run_workflow``).

The format and our semantic decisions are in ``docs/flow.md``.
"""

from xaas_parsl.flow.calls import CallFailed, CallRequest
from xaas_parsl.flow.engine import Engine, RunResult, WorkflowFailed
from xaas_parsl.flow.functions import ENTRY_POINT_GROUP, register_package
from xaas_parsl.flow.load import flow_schema, load_workflow, workflow_from_data
from xaas_parsl.flow.measure import SQLiteStore, open_store, summary, write_csv
from xaas_parsl.flow.model import Workflow
from xaas_parsl.flow.runner import RunOptions, run

__all__ = [
    "ENTRY_POINT_GROUP",
    "CallFailed",
    "CallRequest",
    "Engine",
    "RunOptions",
    "RunResult",
    "SQLiteStore",
    "Workflow",
    "WorkflowFailed",
    "flow_schema",
    "load_workflow",
    "open_store",
    "register_package",
    "run",
    "run_workflow",
    "summary",
    "workflow_from_data",
    "write_csv",
]


def __getattr__(name: str) -> object:
    # The Parsl app imports parsl; load it only when asked for, so the pure layers stay light.
    if name == "run_workflow":
        from xaas_parsl.flow.apps import run_workflow

        return run_workflow
    raise AttributeError(name)
