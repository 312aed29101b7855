"""Measurement records: where they are kept, CSV export, and the derived figures.

:func:`stages` is the one definition of SeBS-Flow's stages and critical path: ``xaas flow run``
(:func:`summary`) and ``xaas flow metrics`` (:mod:`xaas_parsl.flow.metrics`) both call it, so the
two print the same figures for the same records.

Every call attempt yields one record (``worker.COLUMNS``: SeBS-Flow's nine columns, then
``state``, ``attempt``, ``ok``, ``error``). The driver writes each record as soon as the call
ends, so the records of calls that finished before a failure are kept. The default store is an
embedded SQLite file (WAL mode: a commit per record costs tens of microseconds, not an fsync);
Redis (``redis://...``) is used when configured, with the client imported only then.
"""

from __future__ import annotations

import bisect
import csv
import io
import json
import sqlite3
import statistics
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any, Protocol

from xaas_parsl.errors import InputError, ToolError
from xaas_parsl.fileio import output_dir, write_atomic
from xaas_parsl.flow.model import Loop, Repeat, Task, Workflow
from xaas_parsl.flow.worker import COLUMNS


class MeasurementStore(Protocol):
    def add(self, record: dict[str, Any]) -> None: ...

    def add_many(self, records: list[dict[str, Any]]) -> None: ...

    def records(self, request_id: str | None = None) -> list[dict[str, Any]]: ...

    def close(self) -> None: ...


def _sql_name(column: str) -> str:
    return column.replace(".", "_")


class SQLiteStore:
    """Records in one table of an SQLite file; use from the thread that created it."""

    def __init__(self, path: str | Path, create: bool = True) -> None:
        self.path = Path(path)
        if not create and not self.path.is_file():
            raise InputError("no such measurement store (SQLite file)", self.path)
        output_dir(self.path.parent)
        columns = ", ".join(f'"{_sql_name(c)}"' for c in COLUMNS)
        try:
            if create:
                self._db = sqlite3.connect(self.path)
                self._db.execute("PRAGMA journal_mode=WAL")
                self._db.execute("PRAGMA synchronous=NORMAL")
                self._db.execute(f"CREATE TABLE IF NOT EXISTS calls ({columns})")
                self._db.execute("CREATE INDEX IF NOT EXISTS calls_run ON calls (request_id)")
            else:  # read only: no journal files, no table created in someone else's file
                self._db = sqlite3.connect(f"{self.path.resolve().as_uri()}?mode=ro", uri=True)
            self._db.execute(f"SELECT {columns} FROM calls LIMIT 0")
        except sqlite3.Error as exc:  # a corrupt file, another program's database, read-only
            raise InputError(f"not a usable measurement store: {exc}", self.path) from None
        self._insert = (f"INSERT INTO calls ({columns}) VALUES "
                        f"({', '.join('?' for _ in COLUMNS)})")

    def add(self, record: dict[str, Any]) -> None:
        self.add_many([record])

    def add_many(self, records: list[dict[str, Any]]) -> None:
        """One transaction for the batch."""
        with self._db:
            self._db.executemany(self._insert, [[r.get(c) for c in COLUMNS] for r in records])

    def records(self, request_id: str | None = None) -> list[dict[str, Any]]:
        query = "SELECT * FROM calls" + (" WHERE request_id = ?" if request_id else "")
        try:
            rows = self._db.execute(query + " ORDER BY start",
                                    (request_id,) if request_id else ()).fetchall()
        except sqlite3.Error as exc:
            raise InputError(f"not a usable measurement store: {exc}", self.path) from None
        out = []
        for row in rows:
            record = dict(zip(COLUMNS, row, strict=True))
            for flag in ("is_cold", "ok"):
                if record[flag] is not None:
                    record[flag] = bool(record[flag])
            out.append(record)
        return out

    def close(self) -> None:
        self._db.close()


class RedisStore:
    """Records as JSON in one Redis list per run (``<prefix>:<request_id>``) and a set of runs."""

    def __init__(self, url: str = "redis://localhost:6379/0", *, client: Any = None,
                 prefix: str = "xaas-flow") -> None:
        if client is None:
            import redis  # type: ignore[import-not-found, import-untyped, unused-ignore]

            client = redis.Redis.from_url(url, socket_connect_timeout=5, socket_timeout=60)
            try:
                client.ping()
            except redis.RedisError as exc:
                raise ToolError(f"measurement store unreachable: {exc}", url) from None
        self.client = client
        self.prefix = prefix

    def add(self, record: dict[str, Any]) -> None:
        self.client.rpush(f"{self.prefix}:{record['request_id']}", json.dumps(record))
        self.client.sadd(f"{self.prefix}:runs", record["request_id"])

    def add_many(self, records: list[dict[str, Any]]) -> None:
        for record in records:
            self.add(record)

    def records(self, request_id: str | None = None) -> list[dict[str, Any]]:
        runs = [request_id] if request_id else sorted(
            r.decode() if isinstance(r, bytes) else str(r)
            for r in self.client.smembers(f"{self.prefix}:runs"))
        out = [json.loads(item) for run in runs
               for item in self.client.lrange(f"{self.prefix}:{run}", 0, -1)]
        return sorted(out, key=lambda r: r["start"])

    def close(self) -> None:
        close = getattr(self.client, "close", None)
        if callable(close):
            close()


def open_store(location: str | Path, create: bool = True) -> MeasurementStore:
    """``redis://...`` → Redis; anything else (optionally ``sqlite:PATH``) → an SQLite file
    (created unless ``create`` is false: a reader must not leave an empty database behind)."""
    text = str(location)
    if text.startswith(("redis://", "rediss://", "unix://")):
        return RedisStore(text)
    return SQLiteStore(text.removeprefix("sqlite:"), create=create)


def csv_text(records: Iterable[dict[str, Any]]) -> str:
    """Records as CSV with the columns in ``COLUMNS`` order (SeBS-Flow's nine first)."""
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=list(COLUMNS), extrasaction="ignore",
                            lineterminator="\n")
    writer.writeheader()
    for record in records:
        writer.writerow({c: "" if record.get(c) is None else record.get(c) for c in COLUMNS})
    return buffer.getvalue()


def write_csv(records: Iterable[dict[str, Any]], path: str | Path) -> Path:
    """Write records as CSV atomically."""
    return write_atomic(path, csv_text(records))


def transition_latencies(records: Sequence[dict[str, Any]]) -> list[float]:
    """For each successful call after the first: its start minus the latest end before it.

    In a chain this is SeBS-Flow's "next start − previous end"; after a fan-in it is measured
    from the call that finished last, i.e. from the moment the next step could begin.
    """
    calls = sorted((r for r in records if r.get("ok", True)), key=lambda r: r["start"])
    # A call that starts later cannot end before this one starts, so every end <= start
    # belongs to an earlier call: one sorted list of ends and a bisection per call suffice.
    ends = sorted(c["end"] for c in calls)
    out: list[float] = []
    for call in calls[1:]:
        index = bisect.bisect_right(ends, call["start"])
        if index:
            out.append(call["start"] - ends[index - 1])
    return out


def duration(r: dict[str, Any]) -> float:
    return float(r["end"] - r["start"])


def stages(workflow: Workflow, records: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """SeBS-Flow's stages of one run, in the order they started; critical path = Σ ``time_s``.

    One stage per state of the top-level chain (the first segment of a record's ``state``):

    * a task is one stage, and its attempts add up (a retry runs after the failed attempt, so
      both lie on the path);
    * a map or parallel is one stage whose time is its longest call (its calls run side by side);
    * every call of a repeat or loop is a stage of its own (``r[1]``, ``r[2]``, ...: chained
      calls, each waiting for the previous one).

    Per stage also its span (last end − first start), *internal overhead* (span − time) and
    *transition* (first start − previous stage's last end).
    """
    groups: dict[str, list[dict[str, Any]]] = {}
    chained: dict[str, int] = {}
    for r in sorted(records, key=lambda r: r["start"]):
        top = str(r["state"]).split("/")[0]
        key = top
        if isinstance(workflow.scope.states.get(top), Repeat | Loop):
            chained[top] = chained.get(top, 0) + 1
            key = f"{top}[{chained[top]}]"
        groups.setdefault(key, []).append(r)
    out = []
    previous_end: float | None = None
    for key, calls in sorted(groups.items(), key=lambda kv: kv[1][0]["start"]):
        top = key.split("[")[0]
        state = workflow.scope.states.get(top)
        sequential = isinstance(state, Task | Repeat | Loop) or state is None
        time = sum(map(duration, calls)) if sequential else max(map(duration, calls))
        start, end = min(c["start"] for c in calls), max(c["end"] for c in calls)
        out.append({"stage": key, "kind": type(state).__name__.lower() if state else "?",
                    "calls": len(calls), "time_s": time, "span_s": end - start,
                    "internal_overhead_s": end - start - time,
                    "transition_s": None if previous_end is None else start - previous_end,
                    "start": start, "end": end})
        previous_end = end
    return out


def summary(records: Sequence[dict[str, Any]], workflow: Workflow) -> dict[str, Any]:
    """The figures ``xaas flow run`` prints for one run (docs/flow-benchmarks.md, "Metrics").

    runtime = max(end) − min(start); critical path = Σ of the :func:`stages`' times; overhead =
    runtime − critical path; cold share; median transition latency.
    """
    if not records:
        return {"calls": 0}
    runtime = max(r["end"] for r in records) - min(r["start"] for r in records)
    critical = sum(s["time_s"] for s in stages(workflow, records))
    transitions = transition_latencies(records)
    return {
        "calls": len(records),
        "failed_calls": sum(1 for r in records if not r.get("ok", True)),
        "runtime_s": runtime,
        "critical_path_s": critical,
        "overhead_s": runtime - critical,
        "cold_share": sum(1 for r in records if r.get("is_cold")) / len(records),
        "median_transition_s": statistics.median(transitions) if transitions else None,
    }
