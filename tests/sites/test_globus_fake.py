"""THE ONE FAKE in the Globus Compute tests: the Globus Compute web service's HTTP API.

The service cannot run here, so :class:`FakeComputeService` answers the SDK's HTTP calls through
``responses``, at the SDK's loopback address for local services, so that a request it does not
answer fails at once and nothing could leave the machine. It implements only what the SDK calls:
version, function registration, batch submission, task / batch / task-group status and the
result-queue address. Everything behind it is real: the submitted buffers become the endpoint's
``Task`` message exactly as the service builds it (function buffer + argument buffer) and run on
the endpoint package's ``GlobusComputeEngine``, so the serialisation path SDK -> endpoint worker
-> SDK is the real one. Where a batch carries ``user_endpoint_config``, the fake checks it as a
multi-user endpoint would, by rendering and loading our template with it, and fails the batch's
tasks with that error; it does not start one engine per configuration.

The SDK ``Executor`` receives results only over AMQP, from the service's RabbitMQ. That part
of the service is not faked: with a broker URL (:func:`private_rabbitmq`, a real
``rabbitmq-server`` on loopback) the fake declares each task group's queue and publishes every
result to it, as the service does.

This module also holds the few tests of the fake itself.
"""

from __future__ import annotations

import functools
import json
import os
import re
import socket
import subprocess
import time
import uuid
from collections.abc import Iterator
from concurrent.futures import Future
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("globus_compute_endpoint")
responses = pytest.importorskip("responses")

import globus_sdk  # noqa: E402
import pika  # type: ignore[import-untyped]  # noqa: E402
import requests  # noqa: E402
from globus_compute_common import messagepack  # noqa: E402
from globus_compute_sdk import Client  # noqa: E402

from xaas_parsl.errors import InputError  # noqa: E402
from xaas_parsl.sites import globus  # noqa: E402

# The SDK's address for "local compute services": loopback, so a request the fake does not
# answer cannot leave the machine.
BASE_URL = "http://localhost:5000"
ENDPOINT_ID = str(uuid.UUID(int=0x0A45))
RABBITMQ = Path("/usr/lib/rabbitmq/bin/rabbitmq-server")


def fake_client() -> Client:
    """The SDK's own Client, pointed at the fake, with no Globus login."""
    client = Client(local_compute_services=True, authorizer=globus_sdk.NullAuthorizer())
    assert client.web_service_address == BASE_URL
    return client


class FakeComputeService:
    """The Globus Compute web API, answered locally (see the module docstring)."""

    queue_prefix = "xaas-test."

    def __init__(self, base_url: str, engine: Any, endpoint_id: str, site: str = "local",
                 amqp_url: str | None = None) -> None:
        self.base = base_url.rstrip("/")
        self.engine = engine
        self.endpoint_id = endpoint_id
        self.site = site
        self.amqp_url = amqp_url
        self.functions: dict[str, str] = {}
        self.results: dict[str, Future[Any]] = {}
        self.groups: dict[str, list[str]] = {}
        self.submissions: list[dict[str, Any]] = []
        self.mock = responses.RequestsMock(assert_all_requests_are_fired=False)

    # -- lifecycle ---------------------------------------------------------------------------
    def __enter__(self) -> FakeComputeService:
        get, post = responses.GET, responses.POST
        uid = "([0-9a-f-]{36})"
        self.mock.add(get, f"{self.base}/v2/version",
                      json={"api": "fake", "min_sdk_version": "1.0.0", "min_ep_version": "1.0.0"})
        self.mock.add_callback(post, f"{self.base}/v3/functions", callback=self._register)
        self.mock.add_callback(post, re.compile(rf"{self.base}/v3/endpoints/{uid}/submit"),
                               callback=self._submit)
        self.mock.add_callback(get, re.compile(rf"{self.base}/v2/tasks/{uid}"),
                               callback=self._task)
        self.mock.add_callback(post, f"{self.base}/v2/batch_status", callback=self._batch)
        self.mock.add_callback(get, re.compile(rf"{self.base}/v2/taskgroup/{uid}"),
                               callback=self._group)
        self.mock.add_callback(get, f"{self.base}/v2/get_amqp_result_connection_url",
                               callback=self._amqp)
        self.mock.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.mock.stop()
        self.mock.reset()

    def wait(self, task_id: str, timeout: float = 120) -> Any:
        """The endpoint's ``Result`` for a task, once the engine has run it."""
        return self.results[task_id].result(timeout=timeout)

    # -- routes ------------------------------------------------------------------------------
    @staticmethod
    def _reply(status: int, data: Any) -> tuple[int, dict[str, str], str]:
        return status, {"Content-Type": "application/json"}, json.dumps(data)

    def _register(self, request: Any) -> tuple[int, dict[str, str], str]:
        body = json.loads(request.body)
        function_id = str(uuid.uuid4())
        self.functions[function_id] = body["function_code"]
        return self._reply(200, {"function_uuid": function_id})

    def _submit(self, request: Any) -> tuple[int, dict[str, str], str]:
        endpoint_id = request.path_url.split("/")[3]
        if endpoint_id != self.endpoint_id:
            return self._reply(404, {"code": "ENDPOINT_NOT_FOUND", "error_args": [endpoint_id]})
        body = json.loads(request.body)
        self.submissions.append(body)
        group = body.get("task_group_id") or str(uuid.uuid4())
        unknown = [f for f in body["tasks"] if f not in self.functions]
        if unknown:
            return self._reply(404, {"code": "FUNCTION_NOT_FOUND", "error_args": unknown})
        if body.get("create_queue") and self.amqp_url:
            self._declare(self.queue_prefix + group)
        problem = self._check_user_config(body.get("user_endpoint_config"))
        tasks: dict[str, list[str]] = {}
        for function_id, payloads in body["tasks"].items():
            for payload in payloads:
                task_id = uuid.uuid4()
                if problem is None:
                    packed = globus.pack_task(task_id, self.functions[function_id], payload)
                    future = globus.submit_to_engine(self.engine, task_id, packed,
                                                     body.get("resource_specification"))
                else:
                    future = Future()
                    future.set_exception(problem)
                future.add_done_callback(functools.partial(self._publish, group))
                self.results[str(task_id)] = future
                tasks.setdefault(function_id, []).append(str(task_id))
                self.groups.setdefault(group, []).append(str(task_id))
        return self._reply(200, {"request_id": str(uuid.uuid4()), "task_group_id": group,
                                 "endpoint_id": endpoint_id, "tasks": tasks})

    def _check_user_config(self, options: dict[str, Any] | None) -> Exception | None:
        """What a multi-user endpoint does before starting a user endpoint: render, load."""
        if not options:
            return None
        try:
            globus.load_endpoint_config(self.site, **options)
        except InputError as err:
            return err
        return None

    def _status(self, task_id: str) -> dict[str, Any]:
        future = self.results[task_id]
        if not future.done():
            return {"task_id": task_id, "status": "waiting-for-ep"}
        done = {"task_id": task_id, "completion_t": str(time.time())}
        if future.exception() is not None:
            return {**done, "status": "failed", "exception": str(future.exception())}
        result = future.result()
        if result.is_error:
            return {**done, "status": "failed", "exception": result.data}
        return {**done, "status": "success", "result": result.data,
                "details": json.loads(json.dumps(result.details, default=str))}

    def _task(self, request: Any) -> tuple[int, dict[str, str], str]:
        task_id = request.path_url.rsplit("/", 1)[1]
        if task_id not in self.results:
            return self._reply(404, {"code": "TASK_NOT_FOUND", "error_args": [task_id]})
        return self._reply(200, self._status(task_id))

    def _batch(self, request: Any) -> tuple[int, dict[str, str], str]:
        ids = json.loads(request.body)["task_ids"]
        return self._reply(200, {"response": "batch", "results": {
            tid: self._status(tid) for tid in ids if tid in self.results}})

    def _group(self, request: Any) -> tuple[int, dict[str, str], str]:
        group = request.path_url.rsplit("/", 1)[1]
        return self._reply(200, {"taskgroup_id": group,
                                 "tasks": [{"id": t} for t in self.groups.get(group, [])]})

    def _amqp(self, request: Any) -> tuple[int, dict[str, str], str]:
        if not self.amqp_url:
            return self._reply(503, {"code": "UNAVAILABLE", "reason": "no broker in this test"})
        return self._reply(200, {"connection_url": self.amqp_url,
                                 "queue_prefix": self.queue_prefix})

    # -- the service's result stream (only with a broker) -------------------------------------
    def _declare(self, queue: str) -> None:
        assert self.amqp_url
        connection = pika.BlockingConnection(pika.URLParameters(self.amqp_url))
        try:
            connection.channel().queue_declare(queue=queue)
        finally:
            connection.close()

    def _publish(self, group: str, future: Future[Any]) -> None:
        if not self.amqp_url or future.exception() is not None:
            return
        connection = pika.BlockingConnection(pika.URLParameters(self.amqp_url))
        try:
            connection.channel().basic_publish(
                exchange="", routing_key=self.queue_prefix + group,
                body=messagepack.pack(future.result()),
                properties=pika.BasicProperties(timestamp=int(time.time())))
        finally:
            connection.close()


# --- a real broker for the result stream --------------------------------------------------------

def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def rabbitmq_missing() -> str | None:
    """Why :func:`private_rabbitmq` cannot run here, or None."""
    if not RABBITMQ.exists() or not Path("/usr/bin/epmd").exists():
        return "the SDK Executor needs an AMQP broker: apt-get install rabbitmq-server"
    return None


@contextmanager
def private_rabbitmq(base: Path) -> Iterator[str]:
    """Debian's rabbitmq-server as a private node on loopback ports; yields its AMQP URL.

    Its own epmd is started in the foreground beside it, and both are stopped at the end."""
    port, dist, epmd_port = _free_port(), _free_port(), _free_port()
    (base / "enabled_plugins").write_text("[].\n")
    env = {**os.environ, "HOME": str(base), "RABBITMQ_NODENAME": f"xaas{port}@localhost",
           "RABBITMQ_NODE_IP_ADDRESS": "127.0.0.1", "RABBITMQ_NODE_PORT": str(port),
           "RABBITMQ_DIST_PORT": str(dist), "ERL_EPMD_ADDRESS": "127.0.0.1",
           "ERL_EPMD_PORT": str(epmd_port), "RABBITMQ_MNESIA_BASE": str(base / "mnesia"),
           "RABBITMQ_LOG_BASE": str(base / "log"), "RABBITMQ_LOGS": "-",
           "RABBITMQ_ENABLED_PLUGINS_FILE": str(base / "enabled_plugins"),
           "RABBITMQ_CONFIG_FILE": str(base / "rabbitmq"),
           "RABBITMQ_PID_FILE": str(base / "pid"),
           "RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS": "-kernel inet_dist_use_interface {127,0,0,1}"}
    with (base / "server.log").open("w") as log:
        epmd = subprocess.Popen(["/usr/bin/epmd", "-port", str(epmd_port), "-address",
                                 "127.0.0.1"], env=env, stdout=log, stderr=subprocess.STDOUT)
        server = subprocess.Popen([str(RABBITMQ)], env=env, stdout=log,
                                  stderr=subprocess.STDOUT, start_new_session=True, cwd=base)
        url = f"amqp://guest:guest@127.0.0.1:{port}/%2F"
        try:
            deadline = time.monotonic() + 90
            while True:
                try:
                    pika.BlockingConnection(pika.URLParameters(url)).close()
                    break
                except pika.exceptions.AMQPConnectionError:
                    if server.poll() is not None or time.monotonic() > deadline:
                        raise RuntimeError(f"rabbitmq-server did not start; see {log.name}")\
                            from None
                    time.sleep(0.5)
            yield url
        finally:
            os.killpg(server.pid, 15)
            server.wait(timeout=60)
            epmd.terminate()
            epmd.wait(timeout=30)


# --- tests of the fake itself (no engine needed: nothing reaches it) ---------------------------

def test_a_call_the_fake_does_not_answer_fails_without_leaving_the_machine() -> None:
    with FakeComputeService(BASE_URL, None, ENDPOINT_ID) as fake:
        assert not fake.mock.passthru_prefixes
        for url in (f"{BASE_URL}/v2/endpoints/{ENDPOINT_ID}/status", "https://example.org/"):
            with pytest.raises(requests.exceptions.ConnectionError,
                               match="Connection refused by Responses"):
                requests.get(url, timeout=5)


def test_unknown_endpoint_and_function_are_api_errors() -> None:
    with FakeComputeService(BASE_URL, None, ENDPOINT_ID):
        client = fake_client()
        function_id = client.register_function(len)
        with pytest.raises(globus_sdk.GlobusAPIError) as endpoint:
            client.run([], endpoint_id=str(uuid.uuid4()), function_id=function_id)
        assert endpoint.value.http_status == 404
        with pytest.raises(globus_sdk.GlobusAPIError) as function:
            client.run([], endpoint_id=ENDPOINT_ID, function_id=str(uuid.uuid4()))
        assert (function.value.http_status, function.value.code) == (404, "FUNCTION_NOT_FOUND")
