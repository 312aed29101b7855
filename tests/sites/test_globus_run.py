"""Globus Compute, running steps: through the endpoint's engine directly, then through the SDK's
own ``Client`` and ``Executor`` and Parsl's ``GlobusComputeExecutor``.

The endpoint side is real: the ``GlobusComputeEngine`` of our ``local`` template (loaded by the
endpoint package's loader) is started once for the module, with Parsl interchange and worker
processes on this machine. The Globus Compute web API is answered by the one fake
(:mod:`tests.sites.test_globus_fake`). The Client gets results over HTTP; the SDK ``Executor``
(and so Parsl's executor) gets them only over AMQP, so those tests run with a real, private
RabbitMQ when Debian's ``rabbitmq-server`` is installed and are skipped otherwise.
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("globus_compute_endpoint")
pytest.importorskip("responses")

from globus_compute_sdk import Client, Executor
from globus_compute_sdk.errors import TaskExecutionFailed, TaskPending

from tests.conftest import HEAT2D, SYSTEMS, infra_missing
from tests.sites.test_globus_fake import (
    BASE_URL,
    ENDPOINT_ID,
    FakeComputeService,
    fake_client,
    private_rabbitmq,
    rabbitmq_missing,
)
from xaas_parsl import steps
from xaas_parsl.errors import InputError
from xaas_parsl.sites import globus

APP = str(HEAT2D / "app.yaml")


@pytest.fixture(scope="module")
def engine(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """The endpoint side: the engine of our ``local`` template, started on this machine."""
    config = globus.load_endpoint_config("local", workers_per_node=1)
    with globus.started_engine(config.engine, tmp_path_factory.mktemp("gce-engine"),
                               uuid.UUID(ENDPOINT_ID)) as started:
        yield started


@pytest.fixture(scope="module")
def broker(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A private RabbitMQ on loopback, or skip."""
    if reason := rabbitmq_missing():
        infra_missing(reason)
    with private_rabbitmq(tmp_path_factory.mktemp("rabbitmq")) as url:
        yield url


@pytest.fixture
def service(engine: Any) -> Iterator[FakeComputeService]:
    with FakeComputeService(BASE_URL, engine, ENDPOINT_ID) as fake:
        yield fake


@pytest.fixture
def streaming_service(engine: Any, broker: str) -> Iterator[FakeComputeService]:
    with FakeComputeService(BASE_URL, engine, ENDPOINT_ID, amqp_url=broker) as fake:
        yield fake


def _result(client: Client, task_id: str, timeout: float = 120) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        try:
            return client.get_result(task_id)
        except TaskPending:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)


# --- a step through the endpoint's engine, no web service ---------------------------------------

def test_steps_run_through_the_endpoint_engine(engine: Any) -> None:
    spec = globus.run_on_engine(engine, steps.load_spec_points, APP).result(timeout=120)
    assert spec == steps.load_spec_points(APP)
    system = globus.run_on_engine(engine, steps.discover_system).result(timeout=120)
    assert system["format"] == steps.discover_system()["format"]
    chosen = globus.run_on_engine(engine, steps.intersect, spec, system).result(timeout=120)
    assert chosen == steps.intersect(spec, system)


def test_a_reference_system_intersects_through_the_engine(engine: Any) -> None:
    path = SYSTEMS / "clariden-alps.json"
    if not path.is_file():
        pytest.skip(f"reference data not found at {path}")
    system = json.loads(path.read_text())
    spec = steps.load_spec_points(APP)
    result = globus.run_on_engine(engine, steps.intersect, spec, system).result(timeout=120)
    assert result == steps.intersect(spec, system)
    assert result["system"]["architecture"] == "aarch64"


def test_a_failing_step_reports_the_remote_error(engine: Any) -> None:
    future = globus.run_on_engine(engine, steps.load_spec_points, "/nonexistent/app.yaml")
    with pytest.raises(TaskExecutionFailed, match="InputError"):
        future.result(timeout=120)


# --- the SDK Client: submission and results over HTTP only ------------------------------------

def test_client_runs_a_step_and_gets_its_result(service: FakeComputeService) -> None:
    client = fake_client()
    assert client.web_service_address == service.base
    function_id = client.register_function(steps.load_spec_points)
    task_id = client.run(APP, endpoint_id=ENDPOINT_ID, function_id=function_id)
    assert _result(client, task_id) == steps.load_spec_points(APP)
    assert service.wait(task_id).is_error is False


def test_client_batch_of_steps(service: FakeComputeService) -> None:
    client = fake_client()
    spec_fn = client.register_function(steps.load_spec_points)
    system_fn = client.register_function(steps.discover_system)
    batch = client.create_batch()
    batch.add(spec_fn, (APP,))
    batch.add(system_fn, ("native",), {"use_cache": True})
    reply = client.batch_run(ENDPOINT_ID, batch)
    spec_id, system_id = reply["tasks"][spec_fn][0], reply["tasks"][system_fn][0]
    for task_id in (spec_id, system_id):
        service.wait(task_id)
    results = client.get_batch_result([spec_id, system_id])
    assert results[spec_id]["status"] == "success"
    assert results[spec_id]["result"] == steps.load_spec_points(APP)
    system = results[system_id]["result"]
    assert system["format"] == "xaas-parsl-system"
    intersect_fn = client.register_function(steps.intersect)
    chosen = client.run(results[spec_id]["result"], system, endpoint_id=ENDPOINT_ID,
                        function_id=intersect_fn)
    assert _result(client, chosen) == steps.intersect(steps.load_spec_points(APP), system)


def test_client_reports_a_failing_step(service: FakeComputeService) -> None:
    client = fake_client()
    function_id = client.register_function(steps.load_spec_points)
    task_id = client.run("/nonexistent/app.yaml", endpoint_id=ENDPOINT_ID,
                         function_id=function_id)
    with pytest.raises(TaskExecutionFailed, match="InputError"):
        _result(client, task_id)


def test_bad_user_endpoint_config_fails_the_task_with_the_schema_message(
        service: FakeComputeService) -> None:
    client = fake_client()
    function_id = client.register_function(steps.load_spec_points)
    batch = client.create_batch(user_endpoint_config={"workers_per_node": "many"})
    batch.add(function_id, (APP,))
    task_id = client.batch_run(ENDPOINT_ID, batch)["tasks"][function_id][0]
    assert service.submissions[-1]["user_endpoint_config"] == {"workers_per_node": "many"}
    with pytest.raises(TaskExecutionFailed, match="'many' is not of type 'integer'"):
        _result(client, task_id)
    with pytest.raises(InputError, match="'many' is not of type 'integer'"):
        globus.check_user_options("local", {"workers_per_node": "many"})


def test_sdk_executor_submission_reaches_the_endpoint_and_reloads_over_http(
        service: FakeComputeService) -> None:
    """Without a broker the Executor's own futures cannot complete (results come over AMQP),
    but its submission path is real and ``reload_tasks`` fetches finished results over HTTP.
    Submission goes through the Client so no result-stream thread is left behind."""
    client = fake_client()
    function_id = client.register_function(steps.load_spec_points)
    batch = client.create_batch()
    batch.add(function_id, (APP,))
    reply = client.batch_run(ENDPOINT_ID, batch)
    service.wait(reply["tasks"][function_id][0])
    executor = Executor(endpoint_id=ENDPOINT_ID, client=client,
                        task_group_id=str(reply["task_group_id"]))
    try:
        [future] = list(executor.reload_tasks())
        assert future.result(timeout=5) == steps.load_spec_points(APP)
    finally:
        executor.shutdown(wait=False, cancel_futures=True)  # type: ignore[no-untyped-call]


# --- the SDK Executor and Parsl's GlobusComputeExecutor (results stream over a real broker) -----

def test_sdk_executor_submit_step_gets_result(streaming_service: FakeComputeService) -> None:
    executor = globus.sdk_executor(ENDPOINT_ID, client=fake_client())
    try:
        future = globus.submit_step(executor, "load_spec_points", APP)
        assert future.result(timeout=120) == steps.load_spec_points(APP)
        failing = globus.submit_step(executor, "load_spec_points", "/nonexistent/app.yaml")
        with pytest.raises(TaskExecutionFailed, match="InputError"):
            failing.result(timeout=120)
    finally:
        executor.shutdown(wait=True, cancel_futures=True)
    assert streaming_service.submissions[0]["create_queue"] is True


def test_parsl_globus_compute_executor_runs_steps(streaming_service: FakeComputeService,
                                                  tmp_path: Path) -> None:
    import parsl
    from parsl import python_app

    config = globus.globus_config(ENDPOINT_ID, client=fake_client(), run_dir=tmp_path / "runinfo")
    compute = config.executors[1]
    assert (compute.label, type(compute).__name__) == ("compute", "GlobusComputeExecutor")
    spec_app = python_app(steps.load_spec_points, executors=["compute"])
    system_app = python_app(steps.discover_system, executors=["compute"])
    intersect_app = python_app(steps.intersect, executors=["login"])
    with parsl.load(config):
        spec, system = spec_app(APP), system_app()
        chosen = intersect_app(spec, system).result(timeout=180)
    assert chosen == steps.intersect(steps.load_spec_points(APP), system.result())
    # The SDK batches tasks submitted close together into one request: count tasks, not
    # requests (one request per task was only the usual timing, not the contract).
    submitted = [payload for body in streaming_service.submissions
                 for payloads in body["tasks"].values() for payload in payloads]
    assert len(submitted) == 2
