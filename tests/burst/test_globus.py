"""A flare on a ``globus_compute_sdk.Executor``: the SDK's own Executor and serializer, the
endpoint package's real ``GlobusComputeEngine`` (Parsl interchange and workers on this machine)
and a real private RabbitMQ for the result stream; only the Globus Compute web API is faked
(``tests.sites.test_globus_fake``, the project's one fake of it). So what is checked for real:
the pack entry point registered as one function with the SDK's serializer, one task per pack
submitted to the endpoint id, all packs in one batch, the packs running together on the
endpoint's workers, rank-ordered results back through AMQP. Not checked: the Globus cloud,
authentication, a remote endpoint host."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import pytest

pytest.importorskip("globus_compute_endpoint")
pytest.importorskip("responses")

import globus_compute_sdk.sdk.executor as sdk_executor
from globus_compute_sdk import Executor
from globus_compute_sdk.serialize import ComputeSerializer

from tests.conftest import infra_missing
from tests.sites.test_globus_fake import (
    BASE_URL,
    ENDPOINT_ID,
    FakeComputeService,
    fake_client,
    private_rabbitmq,
    rabbitmq_missing,
)
from xaas_parsl.burst import flare
from xaas_parsl.burst.apps import sort
from xaas_parsl.burst.pack import PackSpec, run_pack
from xaas_parsl.sites import globus

PACKS = 2


@pytest.fixture(scope="module")
def service(tmp_path_factory: pytest.TempPathFactory) -> Iterator[FakeComputeService]:
    """Engine with one worker per pack, broker, and the fake web API in front of both."""
    if reason := rabbitmq_missing():
        infra_missing(reason)
    config = globus.load_endpoint_config("local", workers_per_node=PACKS)
    with globus.started_engine(config.engine, tmp_path_factory.mktemp("gce-engine"),
                               uuid.UUID(ENDPOINT_ID)) as engine, \
            private_rabbitmq(tmp_path_factory.mktemp("rabbitmq")) as broker, \
            FakeComputeService(BASE_URL, engine, ENDPOINT_ID, amqp_url=broker) as fake:
        yield fake


def test_flare_on_the_sdk_executor(service: FakeComputeService) -> None:
    executor = Executor(endpoint_id=ENDPOINT_ID, client=fake_client())
    try:
        future = flare(sort.terasort, 8, 4, executor=executor, kwargs={"count": 100},
                       timeout=60, start_timeout=120)
        results = future.result(timeout=180)
    finally:
        executor.shutdown(wait=True, cancel_futures=True)
        # The SDK keeps one result watcher per task group alive after shutdown; stop it while
        # the broker and the fake are still up (else it reconnects to them at teardown).
        watcher = sdk_executor._RESULT_WATCHERS.get(executor.task_group_id)
        if watcher is not None:
            watcher.shutdown(wait=True)
    assert sort.verify(results, 8, 100)
    assert future.timing.summary().size == 8
    # One function registered: the pack entry point, as the SDK serialised it.
    [(function_id, code)] = service.functions.items()
    serde = ComputeSerializer()
    # Every pack submitted to the endpoint id, in one batch, one task per pack.
    assert len(service.submissions) == 1
    [tasks] = [s["tasks"] for s in service.submissions]
    assert list(tasks) == [function_id] and len(tasks[function_id]) == PACKS
    specs: list[Any] = []
    for payload in tasks[function_id]:
        fn, args, kwargs = serde.unpack_and_deserialize(code + payload)
        assert fn is run_pack and kwargs == {}
        spec, worker, worker_args, worker_kwargs = args
        assert isinstance(spec, PackSpec) and worker is sort.terasort
        assert (worker_args, worker_kwargs) == ((), {"count": 100})
        specs.append(spec)
    assert sorted(s.pack for s in specs) == list(range(PACKS))
    assert {s.flare_id for s in specs} == {future.flare_id}
