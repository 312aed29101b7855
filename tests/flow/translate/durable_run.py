"""Runs a generated Durable Functions app the way the Functions host does: replay from history.

The app (``function_app.py``) is imported with the real ``azure.functions`` and
``azure.durable_functions`` packages; its orchestrators are called through the handle function
their ``@myApp.orchestration_trigger`` registered (``Orchestrator.create``), which builds a
``DurableOrchestrationContext`` from a JSON history and runs the user generator through the
SDK's ``TaskOrchestrationExecutor`` — the SDK's own replay engine. This driver plays the host's
part: it starts with ``[OrchestratorStarted, ExecutionStarted]``, takes the actions the
orchestrator returns, runs the new ones (activities: the app's activity functions, which call
``xaas flow serve``; sub-orchestrations: recursively, the same way) concurrently, appends
``TaskScheduled``/``TaskCompleted`` (or ``TaskFailed``, ``SubOrchestrationInstance*``) events and
replays the orchestrator **from the beginning** with the longer history, until it is done.

Each replay must schedule exactly the actions of the previous replays first (same function,
same input): that is the replay-safety property Durable requires, checked on every step, so a
non-deterministic orchestrator (``uuid.uuid4()``, ``datetime.now()`` in the request ids or
inputs) fails here.
"""

from __future__ import annotations

import importlib.util
import json
import sys
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import ModuleType
from typing import Any

from tests.flow.translate.harness import Outcome, served_calls
from xaas_parsl.flow.serve import FunctionServer

# HistoryEventType values of azure.durable_functions.models.history
EXECUTION_STARTED, TASK_SCHEDULED, TASK_COMPLETED, TASK_FAILED = 0, 4, 5, 6
SUB_CREATED, SUB_COMPLETED, SUB_FAILED = 7, 8, 9
ORCHESTRATOR_STARTED, ORCHESTRATOR_COMPLETED = 12, 13
CALL_ACTIVITY, CALL_SUB_ORCHESTRATOR = 0, 2  # ActionType
START = datetime(2026, 1, 1, tzinfo=UTC)


class NotDeterministic(AssertionError):
    """A replay scheduled different actions than the history recorded."""


def import_app(app_dir: Path) -> ModuleType:
    """``function_app.py`` imported under a unique module name."""
    name = f"_durable_app_{abs(hash(str(app_dir)))}"
    spec = importlib.util.spec_from_file_location(name, app_dir / "function_app.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


def registered(module: ModuleType) -> dict[str, Callable[..., Any]]:
    """Function name → the callable the Functions host would invoke."""
    return {f.get_function_name(): f.get_user_function() for f in module.myApp.get_functions()}


class Host:
    """Plays the Durable host for one app: histories, replays, activity execution."""

    def __init__(self, functions: dict[str, Callable[..., Any]]) -> None:
        self.functions = functions
        self.clock = 0
        self.replays = 0

    def _event(self, kind: int, event_id: int = -1, **fields: Any) -> dict[str, Any]:
        self.clock += 1
        stamp = (START + timedelta(seconds=self.clock)).isoformat().replace("+00:00", "Z")
        return {"EventType": kind, "EventId": event_id, "IsPlayed": False, "Timestamp": stamp,
                **fields}

    def orchestrate(self, name: str, input_: Any, instance_id: str) -> Any:
        """Runs orchestrator ``name`` to completion; raises ``RuntimeError`` when it fails."""
        handle = self.functions[name]
        history = [self._event(ORCHESTRATOR_STARTED),
                   self._event(EXECUTION_STARTED, Name=name, Input=json.dumps(input_),
                               Version="")]
        seen: list[dict[str, Any]] = []
        with ThreadPoolExecutor(max_workers=16) as pool:
            while True:
                body = json.dumps({"history": history, "instanceId": instance_id,
                                   "isReplaying": False, "parentInstanceId": None,
                                   "input": json.dumps(input_)})
                self.replays += 1
                try:
                    state = json.loads(handle(body))
                except Exception as exc:  # the SDK raises with the orchestrator's error
                    raise RuntimeError(str(exc).split("\n\n$OutOfProcData$")[0]) from None
                actions = [a for group in state["actions"] for a in group]
                if actions[:len(seen)] != seen:
                    raise NotDeterministic(f"{name}: replay scheduled {actions[:len(seen)]}, "
                                           f"history has {seen}")
                if state["isDone"]:
                    return state.get("output")
                new = actions[len(seen):]
                if not new:
                    raise RuntimeError(f"{name}: orchestration waits but scheduled nothing")
                first = len(seen)
                outcomes = list(pool.map(self._perform, new,
                                         [f"{instance_id}:{first + i}" for i in range(len(new))]))
                history.append(self._event(ORCHESTRATOR_COMPLETED))
                for i, action in enumerate(new):
                    kind = SUB_CREATED if action["actionType"] == CALL_SUB_ORCHESTRATOR \
                        else TASK_SCHEDULED
                    history.append(self._event(kind, first + i, Name=action["functionName"]))
                history.append(self._event(ORCHESTRATOR_STARTED))
                for i, (action, (ok, value)) in enumerate(zip(new, outcomes, strict=True)):
                    sub = action["actionType"] == CALL_SUB_ORCHESTRATOR
                    if ok:
                        history.append(self._event(SUB_COMPLETED if sub else TASK_COMPLETED,
                                                   TaskScheduledId=first + i,
                                                   Result=json.dumps(value)))
                    else:
                        history.append(self._event(SUB_FAILED if sub else TASK_FAILED,
                                                   TaskScheduledId=first + i, Reason=value,
                                                   Details=""))
                seen = actions

    def _perform(self, action: dict[str, Any], instance_id: str) -> tuple[bool, Any]:
        kind, name, input_ = action["actionType"], action["functionName"], action.get("input")
        data = json.loads(input_) if isinstance(input_, str) else input_
        try:
            if kind == CALL_ACTIVITY:
                return True, self.functions[name](data)
            if kind == CALL_SUB_ORCHESTRATOR:
                return True, self.orchestrate(name, data, action.get("instanceId") or instance_id)
        except Exception as exc:
            return False, f"{type(exc).__name__}: {exc}"
        raise NotImplementedError(f"action type {kind} ({name}) is not played by this driver")


def run_durable(app_dir: Path, payload: Any, server: FunctionServer,
                instance_id: str = "run-1") -> tuple[Outcome, Host]:
    """The app's ``workflow`` orchestration on ``payload``; calls as recorded by the server."""
    host = Host(registered(import_app(app_dir)))
    server.take_calls()
    try:
        output = host.orchestrate("workflow", payload, instance_id)
    except NotDeterministic:
        raise
    except RuntimeError as exc:
        return Outcome(False, error=str(exc), calls=served_calls(server.take_calls())), host
    return Outcome(True, output=output, calls=served_calls(server.take_calls())), host
