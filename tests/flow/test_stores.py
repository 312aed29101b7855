"""Measurement stores, object stores, function lookup and the derived figures."""

from __future__ import annotations

import io
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import infra_import
from tests.flow.conftest import FUNCTIONS, Runner
from tests.services import redis_server
from xaas_parsl.errors import InputError
from xaas_parsl.flow import runtime
from xaas_parsl.flow.functions import load_handler, register_package, sources_for
from xaas_parsl.flow.load import workflow_from_data
from xaas_parsl.flow.measure import (
    RedisStore,
    SQLiteStore,
    csv_text,
    open_store,
    summary,
    transition_latencies,
)
from xaas_parsl.flow.storage import CountingStore, LocalStore, S3Store, storage_spec
from xaas_parsl.flow.worker import COLUMNS


def record(func: str, start: float, end: float, state: str | None = None,
           **extra: Any) -> dict[str, Any]:
    base = {"func": func, "start": start, "end": end, "is_cold": False, "container_id": "h:1",
            "provider.request_id": f"p-{func}-{start}", "blob.upload": 0, "blob.download": 0,
            "request_id": "r", "state": state or func, "attempt": 1, "ok": True, "error": None}
    return {**base, **extra}


# --- measurement stores ------------------------------------------------------------------------

def test_sqlite_store_round_trip_and_csv(tmp_path: Path) -> None:
    store = open_store(f"sqlite:{tmp_path / 'm.sqlite'}")
    assert isinstance(store, SQLiteStore)
    store.add(record("a", 1.0, 2.0, is_cold=True))
    store.add(record("b", 3.0, 4.0, request_id="other", ok=False, error="boom"))
    assert [r["func"] for r in store.records()] == ["a", "b"]
    only = store.records("r")
    assert only == [record("a", 1.0, 2.0, is_cold=True)]
    text = csv_text(store.records())
    store.close()
    lines = text.splitlines()
    assert lines[0] == ",".join(COLUMNS)
    assert lines[0].startswith("func,start,end,is_cold,container_id,provider.request_id,"
                               "blob.upload,blob.download,request_id,state")
    assert lines[2].endswith(",False,boom")


class FakeRedis:
    """The four list/set commands RedisStore uses, in memory."""

    def __init__(self) -> None:
        self.lists: dict[str, list[bytes]] = {}
        self.sets: dict[str, set[bytes]] = {}

    def rpush(self, key: str, value: str) -> None:
        self.lists.setdefault(key, []).append(value.encode())

    def lrange(self, key: str, start: int, end: int) -> list[bytes]:
        return self.lists.get(key, [])[start:None if end == -1 else end + 1]

    def sadd(self, key: str, value: str) -> None:
        self.sets.setdefault(key, set()).add(value.encode())

    def smembers(self, key: str) -> set[bytes]:
        return self.sets.get(key, set())


def test_redis_store_logic_with_an_in_memory_client() -> None:
    store = RedisStore(client=FakeRedis())
    store.add(record("b", 3.0, 4.0, request_id="r2"))
    store.add(record("a", 1.0, 2.0))
    assert [r["func"] for r in store.records()] == ["a", "b"]
    assert [r["func"] for r in store.records("r2")] == ["b"]
    store.close()


@pytest.fixture
def redis_url(tmp_path: Path) -> Iterator[str]:
    with redis_server(tmp_path) as url:
        yield url


def test_a_run_writes_its_records_to_a_real_redis(redis_url: str, local_run: Runner) -> None:
    definition = {"root": "a", "states": {"a": {"type": "task", "func_name": "inc"}}}
    result = local_run(definition, {"n": 1}, store=redis_url)
    store = open_store(redis_url)
    assert [r["func"] for r in store.records(result.request_id)] == ["inc"]
    store.close()


# --- object stores -----------------------------------------------------------------------------

def test_local_store_and_counting_wrapper(tmp_path: Path) -> None:
    counted = CountingStore(LocalStore(tmp_path))
    counted.upload_stream("bucket", "a/b.txt", b"hello")
    (tmp_path / "f").write_bytes(b"12")
    assert counted.upload("bucket", "c.txt", tmp_path / "f") == "c.txt"
    assert counted.download_stream("bucket", "a/b.txt") == b"hello"
    counted.download("bucket", "c.txt", tmp_path / "g")
    assert (tmp_path / "g").read_bytes() == b"12"
    assert counted.list_blobs("bucket") == ["a/b.txt", "c.txt"]
    assert counted.list("bucket", "a/") == ["a/b.txt"]
    assert (counted.uploaded, counted.downloaded) == (7, 7)
    counted.delete("bucket", "c.txt")
    assert counted.list("bucket") == ["a/b.txt"]
    with pytest.raises(KeyError):
        counted.get("bucket", "c.txt")
    with pytest.raises(ValueError, match=r"without '\.\.'"):
        counted.put("bucket", "../escape", b"")
    assert counted.list("nothing") == []


class FakeS3:
    """put/get/delete/list_objects_v2 of a boto3 S3 client, in memory."""

    def __init__(self) -> None:
        self.objects: dict[tuple[str, str], bytes] = {}

    def put_object(self, Bucket: str, Key: str, Body: bytes) -> None:
        self.objects[(Bucket, Key)] = Body

    def get_object(self, Bucket: str, Key: str) -> dict[str, Any]:
        return {"Body": io.BytesIO(self.objects[(Bucket, Key)])}

    def delete_object(self, Bucket: str, Key: str) -> None:
        self.objects.pop((Bucket, Key), None)

    def get_paginator(self, name: str) -> FakeS3:
        assert name == "list_objects_v2"
        return self

    def paginate(self, Bucket: str, Prefix: str) -> list[dict[str, Any]]:
        keys = sorted(k for b, k in self.objects if b == Bucket and k.startswith(Prefix))
        return [{"Contents": [{"Key": k} for k in keys]}]


def test_s3_store_maps_logical_buckets_to_prefixes() -> None:
    client = FakeS3()
    store = S3Store(bucket="real", client=client)
    store.put("bench", "in/x", b"abc")
    assert client.objects == {("real", "bench/in/x"): b"abc"}
    assert store.get("bench", "in/x") == b"abc"
    assert store.list("bench", "in/") == ["in/x"]
    store.delete("bench", "in/x")
    assert store.list("bench") == []
    direct = S3Store(client=client)
    direct.put("bench", "k", b"1")
    assert ("bench", "k") in client.objects


def test_s3_store_against_moto() -> None:
    infra_import("moto")
    import boto3
    from moto import mock_aws

    with mock_aws():
        client = boto3.client("s3", region_name="us-east-1")
        client.create_bucket(Bucket="real")
        store = S3Store(bucket="real", client=client)
        store.put("bench", "a", b"xyz")
        assert store.get("bench", "a") == b"xyz" and store.list("bench") == ["a"]


def test_storage_spec_forms(tmp_path: Path) -> None:
    assert storage_spec("s3://bucket?endpoint=http://localhost:9000") == {
        "kind": "s3", "bucket": "bucket", "endpoint_url": "http://localhost:9000"}
    assert storage_spec("s3://") == {"kind": "s3", "bucket": None, "endpoint_url": None}
    assert storage_spec(tmp_path) == {"kind": "local", "root": str(tmp_path.resolve())}


# --- function lookup and the runtime -----------------------------------------------------------

def test_package_sources_registry_and_definition_stem(tmp_path: Path,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    package = tmp_path / "benchpkg"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "hello.py").write_text("def handler(p):\n    return {'hello': p}\n")
    (package / "nohandler.py").write_text("x = 1\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    register_package("999.hello", "benchpkg")
    sources = sources_for(definition=tmp_path / "999.hello.json")
    assert sources == (("package", "benchpkg"),)
    assert load_handler("hello", sources)(1) == {"hello": 1}
    with pytest.raises(LookupError, match="defines no callable handler"):
        load_handler("nohandler", sources)
    with pytest.raises(LookupError, match="not found"):
        load_handler("absent", sources)
    assert sources_for([FUNCTIONS], ["999.hello"]) == (("dir", str(FUNCTIONS)),
                                                       ("package", "benchpkg"))
    with pytest.raises(InputError, match="functions directory not found"):
        sources_for([tmp_path / "missing"])
    sys.modules.pop("benchpkg", None)


def test_runtime_outside_a_call() -> None:
    with pytest.raises(RuntimeError, match="not inside a workflow function call"):
        runtime.current()


# --- derived figures ---------------------------------------------------------------------------

def test_transitions_and_summary() -> None:
    records = [record("a", 0.0, 1.0), record("b", 1.5, 2.0, state="m/b"),
               record("b", 1.6, 3.0, state="m/b", is_cold=True), record("c", 3.25, 4.0),
               record("x", 3.3, 3.4, ok=False)]
    assert transition_latencies(records) == pytest.approx([0.5, 0.6, 0.25])
    workflow = workflow_from_data({"root": "a", "states": {
        "a": {"type": "task", "func_name": "a", "next": "m"},
        "m": {"type": "map", "array": "xs", "root": "b", "next": "c",
              "states": {"b": {"type": "task", "func_name": "b"}}},
        "c": {"type": "task", "func_name": "c", "next": "x"},
        "x": {"type": "task", "func_name": "x"}}}, "<test>")
    figures = summary(records, workflow)
    assert figures["calls"] == 5 and figures["failed_calls"] == 1
    assert figures["runtime_s"] == pytest.approx(4.0)
    # tasks a, c, x; the map m counts its longest call (1.4 s)
    assert figures["critical_path_s"] == pytest.approx(1.0 + 1.4 + 0.75 + 0.1)
    assert figures["cold_share"] == pytest.approx(0.2)
    assert figures["median_transition_s"] == pytest.approx(0.5)
    assert summary([], workflow) == {"calls": 0}
