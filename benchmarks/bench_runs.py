"""Benchmark sync runs: trigger + claim + finish against the raw driver, and ``schedule_due``.

    python benchmarks/bench_runs.py                   # the table
    python benchmarks/bench_runs.py --check           # exit 1 when a target is missed
    python benchmarks/bench_runs.py --postgres URL    # add PostgreSQL
                                                      # (or $SYNC_SDK_BENCH_POSTGRES_URL)
    python benchmarks/bench_runs.py --quick           # a smoke run: tiny sizes, no check

One operation is one run's whole life: ``hub.trigger_sync`` of a config, then
``hub.run_pending(engine, limit=1)`` (what ``sync-sdk worker`` calls), with an engine that only
returns its counts. The raw baseline is plain ``sqlite3`` (or psycopg) sending the statements
the SDK sends for it, in the same transactions, on the same schema (the SDK's migrations and
tables create it) with the same durability settings, leaving the same rows behind:

1. the trigger: the config read (its existence, ``isActive``, its direction), the config's
   active runs read, the run inserted with its audit record and its ``integration.sync.started``
   event (the payload built as JSON), and the delivery of the event before it marked;
2. the worker's claim, one transaction: the runs whose lease ran out read (none), the
   trigger's event marked delivered, the oldest PENDING run locked and set RUNNING under a
   lease, and the config, its field mappings and its connection's credentials read for the
   engine;
3. the finish: the run set COMPLETED with its counts unless a cancel was asked (one UPDATE),
   the config's ``lastSyncAt`` set, and the audit record and ``integration.sync.completed``
   event inserted.

The statements were read off the SDK with ``sqlite3``'s trace callback and by wrapping psycopg's
``Connection.execute``. Both sides rotate over 100 configs of their own (on PostgreSQL in one
schema, which the bench creates and drops), and run in interleaved rounds (SDK, raw, raw,
SDK, ...); the table's SDK / raw is the median of the rounds' ratios (see bench_create.py).
The targets are on a SQLite file with its default settings (synchronous=FULL) and on
PostgreSQL; the synchronous=NORMAL row, where a commit costs little, shows what the SDK's
Python costs against the driver's alone.

The scaling line times one ``schedule_due`` call that creates 1,000 runs, with 100,000 configs
stored of which those 1,000 are due (the others have a yearly schedule, not due), against the
same call with 1,000 configs in all, on a SQLite file (and on PostgreSQL when given). The calls
alternate between the two stores, a cron slot later each round; between rounds the runs the
call made are closed with one SQL statement (not timed), so that the next slot makes them again.
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import sqlite3
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from contextlib import ExitStack
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from bench_create import Series, postgres_schema, quiet_gc  # the same directory

from sync_sdk import Actor, SyncHub
from sync_sdk.engine import SyncResult
from sync_sdk.operations.tables import SYNC_RUNS
from sync_sdk.storage.tables import iso_time

ACTOR = Actor(id="bench-user", org_id="bench-org")
INPUT = {
    "integrationId": "int-1",
    "connectionId": "conn-1",
    "name": "Contacts Sync",
    "direction": "OUTBOUND",
    "sourceObject": "contacts",
    "targetObject": "contacts",
}
CONFIGS = 100  # each side rotates over this many configs of its own
RESULT = SyncResult(records_processed=10, records_created=4, records_updated=6)

# A SQLite file with its default settings (synchronous=FULL) and PostgreSQL; with
# synchronous=NORMAL the row shows what the SDK's Python costs when a commit costs little.
TARGETS = {
    "sqlite-file-full": 0.8,
    "postgresql": 0.8,
}
SCHEDULE_TARGET = 2.0  # schedule_due time with --schedule-configs stored / with 1,000 in all
LEASE = 300.0


def engine(context: object) -> SyncResult:
    """The trivial engine: the counts, at once."""
    return RESULT


# -- raw baselines: the SDK's statements --------------------------------------------------------

_RUN_COLUMNS = (
    "id, sync_config_id, status, direction, trigger, records_processed, records_created,"
    " records_updated, records_failed, error_message, started_at, completed_at, created_at"
)
_WIRE = (
    "id",
    "syncConfigId",
    "status",
    "direction",
    "trigger",
    "recordsProcessed",
    "recordsCreated",
    "recordsUpdated",
    "recordsFailed",
    "errorMessage",
    "startedAt",
    "completedAt",
    "createdAt",
)
_CONFIG_COLUMNS = (
    "id, integration_id, connection_id, name, direction, source_object, target_object,"
    " schedule_enabled, schedule_cron, is_active, last_sync_at, field_mappings"
)


def _statements(p: str, order: str, skip_locked: str) -> dict[str, str]:
    """The SDK's statements for one run, with placeholder ``p`` and insertion-order column."""
    return {
        "config": f"SELECT {_CONFIG_COLUMNS} FROM sync_configs WHERE id = {p} AND org_id = {p}",
        "active": f"SELECT {_RUN_COLUMNS} FROM sync_runs WHERE org_id = {p} AND sync_config_id"
        f" = {p} AND status IN ({p}, {p}) ORDER BY {order} LIMIT {p} OFFSET {p}",
        "insert_run": "INSERT INTO sync_runs (org_id, id, sync_config_id, status, direction,"
        " trigger, records_processed, records_created, records_updated, records_failed,"
        " error_message, started_at, completed_at, created_at, full_sync, created_by,"
        " lease_until, cancel_requested, scheduled_for) VALUES"
        f" ({', '.join([p] * 19)})",
        "lost": f"SELECT org_id, {_RUN_COLUMNS} FROM sync_runs WHERE status = {p} AND"
        f" lease_until <= {p} ORDER BY {order} LIMIT {p}{skip_locked}",
        "pending": f"SELECT org_id, {_RUN_COLUMNS} FROM sync_runs WHERE status = {p}"
        f" ORDER BY {order} LIMIT {p}{skip_locked}",
        "start": f"UPDATE sync_runs SET status = {p}, started_at = {p}, lease_until = {p}"
        f" WHERE org_id = {p} AND status = {p} AND id = {p}",
        "mappings": "SELECT id, source_field, target_field, mapping_type, is_required,"
        " transform_expression, lookup_config, constant_value, default_value FROM"
        f" field_mappings WHERE org_id = {p} AND sync_config_id = {p} ORDER BY {order}",
        "connection": f"SELECT credentials FROM connections WHERE org_id = {p} AND id = {p}",
        "finish": f"UPDATE sync_runs SET status = {p}, completed_at = {p}, lease_until = {p},"
        f" error_message = {p}, records_processed = {p}, records_created = {p},"
        f" records_updated = {p}, records_failed = {p} WHERE org_id = {p} AND status = {p}"
        f" AND cancel_requested = {p} AND id = {p}",
        "last_sync": f"UPDATE sync_configs SET last_sync_at = {p} WHERE org_id = {p} AND id = {p}",
    }


_SQLITE = _statements("?", "rowid", "")
_SQLITE_AUDIT = (
    "INSERT INTO audit_records (key, actor_id, org_id, subject_id, event_id, occurred_at)"
    " VALUES (?, ?, ?, ?, ?, ?)"
)
_SQLITE_OUTBOX = (
    "INSERT INTO outbox_events (id, key, version, occurred_at, actor_id, org_id, subject_id,"
    " payload) VALUES (?, ?, ?, ?, ?, ?, ?, ?)"
)
_SQLITE_PENDING = "INSERT INTO outbox_pending (event_id) VALUES (?)"
_SQLITE_DELIVERED = "DELETE FROM outbox_pending WHERE event_id = ?"

_PG = _statements("%s", "seq", " FOR UPDATE SKIP LOCKED")
_PG_AUDIT = (
    "INSERT INTO audit_records (key, actor_id, org_id, subject_id, event_id, occurred_at)"
    " VALUES (%s, %s, %s, %s, %s, %s::timestamptz)"
)
_PG_OUTBOX = (
    "INSERT INTO outbox_events (id, key, version, occurred_at, actor_id, org_id, subject_id,"
    " payload, delivered_at) VALUES (%s, %s, %s, %s::timestamptz, %s, %s, %s, %s,"
    " %s::timestamptz)"
)
# the SDK sends a unit of work's inserts as one statement, the first ones as CTEs
_PG_TRIGGER = f"WITH w0 AS ({_PG['insert_run']}), w1 AS ({_PG_AUDIT}) {_PG_OUTBOX}"
_PG_FINISHED = f"WITH w0 AS ({_PG_AUDIT}) {_PG_OUTBOX}"
_PG_DELIVERED = (
    "UPDATE outbox_events SET delivered_at = %s WHERE id = ANY(%s::text[]) AND delivered_at IS NULL"
)


def _payload(run: dict[str, Any]) -> str:
    return json.dumps(run, separators=(",", ":"), ensure_ascii=False, allow_nan=False)


def _wire_run(row: tuple[Any, ...], time_text: Callable[[Any], Any]) -> dict[str, Any]:
    """A run read back (without its org) as the event payload's wire dict."""
    run = dict(zip(_WIRE, row, strict=True))
    for name in ("startedAt", "completedAt", "createdAt"):
        run[name] = time_text(run[name])
    return run


class RawCycle:
    """One run's life through the raw driver; ``configs`` are this side's (org, id) pairs."""

    def __init__(self, configs: list[tuple[str, str]]) -> None:
        self._configs = itertools.cycle(configs)
        self._delivered: str | None = None  # the last finish event, marked by the next unit

    def ids(self) -> tuple[str, str, datetime]:
        return "run_" + uuid.uuid4().hex, "evt_" + uuid.uuid4().hex, datetime.now(UTC)


class RawSqlite(RawCycle):
    def __init__(self, conn: sqlite3.Connection, configs: list[tuple[str, str]]) -> None:
        super().__init__(configs)
        self.conn = conn

    def __call__(self) -> None:
        conn, s = self.conn, _SQLITE
        org, config_id = next(self._configs)
        run_id, event_id, moment = self.ids()
        now = iso_time(moment)
        # the trigger
        conn.execute("BEGIN IMMEDIATE")
        if self._delivered:
            conn.execute(_SQLITE_DELIVERED, (self._delivered,))
        config = conn.execute(s["config"], (config_id, org)).fetchone()
        if config is None or not config[9]:
            raise LookupError(config_id)
        if conn.execute(s["active"], (org, config_id, "PENDING", "RUNNING", 1, 0)).fetchall():
            raise RuntimeError(f"{config_id} has an active run")
        row = (run_id, config_id, "PENDING", config[4], "manual", 0, 0, 0, 0, None, None, None)
        conn.execute(s["insert_run"], (org, *row, now, 0, ACTOR.id, None, 0, None))
        conn.execute(
            _SQLITE_AUDIT,
            ("integration.sync.triggered", ACTOR.id, org, run_id, event_id, now),
        )
        payload = _payload(dict(zip(_WIRE, (*row, now), strict=True)))
        conn.execute(
            _SQLITE_OUTBOX,
            (event_id, "integration.sync.started", "1.0.0", now, ACTOR.id, org, run_id, payload),
        )
        conn.execute(_SQLITE_PENDING, (event_id,))
        conn.execute("COMMIT")
        # the worker's claim: lost runs, the oldest pending run, and what its engine is given
        moment = datetime.now(UTC)
        now = iso_time(moment)
        started, lease = now, iso_time(moment + timedelta(seconds=LEASE))
        conn.execute("BEGIN IMMEDIATE")
        conn.execute(_SQLITE_DELIVERED, (event_id,))
        if conn.execute(s["lost"], ("RUNNING", now, 1000)).fetchall():
            raise RuntimeError("a lost run")
        claimed = conn.execute(s["pending"], ("PENDING", 1)).fetchone()
        org, run_row = claimed[0], claimed[1:]
        start = conn.execute(s["start"], ("RUNNING", started, lease, org, "PENDING", run_row[0]))
        if not start.rowcount:
            raise RuntimeError("claim lost")
        config = conn.execute(s["config"], (run_row[1], org)).fetchone()
        json.loads(config[11])
        conn.execute(s["mappings"], (org, run_row[1])).fetchall()
        conn.execute(s["connection"], (org, config[2])).fetchone()
        conn.execute("COMMIT")
        result = engine(None)
        # the finish
        done = iso_time(datetime.now(UTC))
        finished_id = "evt_" + uuid.uuid4().hex
        conn.execute("BEGIN IMMEDIATE")
        counts = (
            result.records_processed,
            result.records_created,
            result.records_updated,
            result.records_failed,
        )
        changed = conn.execute(
            s["finish"],
            ("COMPLETED", done, None, None, *counts, org, "RUNNING", 0, run_row[0]),
        ).rowcount
        if not changed:
            raise RuntimeError("finish lost")
        conn.execute(s["last_sync"], (done, org, run_row[1]))
        conn.execute(
            _SQLITE_AUDIT,
            ("integration.sync.completed", "sync_sdk:worker", org, run_row[0], finished_id, done),
        )
        run = _wire_run(run_row, lambda value: value)
        run.update(
            status="COMPLETED",
            startedAt=started,
            completedAt=done,
            recordsProcessed=counts[0],
            recordsCreated=counts[1],
            recordsUpdated=counts[2],
            recordsFailed=counts[3],
        )
        conn.execute(
            _SQLITE_OUTBOX,
            (
                finished_id,
                "integration.sync.completed",
                "1.0.0",
                done,
                "sync_sdk:worker",
                org,
                run_row[0],
                _payload(run),
            ),
        )
        conn.execute(_SQLITE_PENDING, (finished_id,))
        conn.execute("COMMIT")
        self._delivered = finished_id


class RawPostgres(RawCycle):
    """psycopg with the SDK's settings (autocommit, BEGIN/COMMIT sent, statements prepared)."""

    def __init__(self, conn: Any, configs: list[tuple[str, str]]) -> None:
        super().__init__(configs)
        self.conn = conn

    def __call__(self) -> None:
        conn, s = self.conn, _PG
        org, config_id = next(self._configs)
        run_id, event_id, now = self.ids()
        # the trigger
        conn.execute("BEGIN")
        if self._delivered:
            conn.execute(_PG_DELIVERED, (now, [self._delivered]))
        config = conn.execute(s["config"], (config_id, org)).fetchone()
        if config is None or not config[9]:
            raise LookupError(config_id)
        if conn.execute(s["active"], (org, config_id, "PENDING", "RUNNING", 1, 0)).fetchall():
            raise RuntimeError(f"{config_id} has an active run")
        row = (run_id, config_id, "PENDING", config[4], "manual", 0, 0, 0, 0, None, None, None)
        payload = _payload(dict(zip(_WIRE, (*row, iso_time(now)), strict=True)))
        conn.execute(
            _PG_TRIGGER,
            (
                *(org, *row, now, False, ACTOR.id, None, False, None),
                *("integration.sync.triggered", ACTOR.id, org, run_id, event_id, now),
                *(event_id, "integration.sync.started", "1.0.0", now, ACTOR.id, org, run_id),
                *(payload, None),
            ),
        )
        conn.execute("COMMIT")
        # the worker's claim: lost runs, the oldest pending run, and what its engine is given
        now = started = datetime.now(UTC)
        conn.execute("BEGIN")
        conn.execute(_PG_DELIVERED, (now, [event_id]))
        if conn.execute(s["lost"], ("RUNNING", now, 1000)).fetchall():
            raise RuntimeError("a lost run")
        claimed = conn.execute(s["pending"], ("PENDING", 1)).fetchone()
        org, run_row = claimed[0], claimed[1:]
        lease = started + timedelta(seconds=LEASE)
        start = conn.execute(s["start"], ("RUNNING", started, lease, org, "PENDING", run_row[0]))
        if not start.rowcount:
            raise RuntimeError("claim lost")
        config = conn.execute(s["config"], (run_row[1], org)).fetchone()
        conn.execute(s["mappings"], (org, run_row[1])).fetchall()
        conn.execute(s["connection"], (org, config[2])).fetchone()
        conn.execute("COMMIT")
        result = engine(None)
        # the finish
        done = datetime.now(UTC)
        finished_id = "evt_" + uuid.uuid4().hex
        counts = (
            result.records_processed,
            result.records_created,
            result.records_updated,
            result.records_failed,
        )
        conn.execute("BEGIN")
        finish = conn.execute(
            s["finish"],
            ("COMPLETED", done, None, None, *counts, org, "RUNNING", False, run_row[0]),
        )
        if not finish.rowcount:
            raise RuntimeError("finish lost")
        conn.execute(s["last_sync"], (done, org, run_row[1]))
        run = _wire_run(run_row, lambda value: None if value is None else iso_time(value))
        run.update(
            status="COMPLETED",
            startedAt=iso_time(started),
            completedAt=iso_time(done),
            recordsProcessed=counts[0],
            recordsCreated=counts[1],
            recordsUpdated=counts[2],
            recordsFailed=counts[3],
        )
        conn.execute(
            _PG_FINISHED,
            (
                *("integration.sync.completed", "sync_sdk:worker", org, run_row[0]),
                *(finished_id, done, finished_id, "integration.sync.completed", "1.0.0", done),
                *("sync_sdk:worker", org, run_row[0], _payload(run), None),
            ),
        )
        conn.execute("COMMIT")
        self._delivered = finished_id


# -- trigger + claim + finish ------------------------------------------------------------------


def _configs(hub: SyncHub, org: str) -> list[tuple[str, str]]:
    """``CONFIGS`` new configs of ``org``, each run once through the SDK (which creates the run
    tables and warms both sides alike); their (org, id) pairs."""
    actor = Actor(id=ACTOR.id, org_id=org)
    configs = hub.create_sync_configs([INPUT] * CONFIGS, actor=actor)
    for config in configs:
        hub.trigger_sync(sync_config_id=config.id, actor=actor)
    while hub.run_pending(engine, limit=1000):
        pass
    return [(org, config.id) for config in configs]


def sdk_cycle(hub: SyncHub) -> Callable[[], None]:
    configs = itertools.cycle([config_id for _, config_id in _configs(hub, ACTOR.org_id)])

    def cycle() -> None:
        hub.trigger_sync(sync_config_id=next(configs), actor=ACTOR)
        hub.run_pending(engine, limit=1)

    return cycle


@dataclass
class Backend:
    name: str
    sdk_url: str
    raw_url: str  # the same as sdk_url on PostgreSQL: another org in the same tables
    raw: Callable[[str], tuple[Callable[[], None], Callable[[], None]]]  # (cycle, close)
    ops: int


def _raw_sqlite(url: str) -> tuple[Callable[[], None], Callable[[], None]]:
    with SyncHub(url) as hub:  # the SDK's schema and settings, and the raw side's configs
        configs = _configs(hub, "bench-raw-org")
    from sync_sdk.storage import open_storage

    storage = open_storage(url)
    return RawSqlite(storage.db.conn, configs), storage.close  # type: ignore[attr-defined]


def _raw_postgres(url: str) -> tuple[Callable[[], None], Callable[[], None]]:
    import psycopg

    with SyncHub(url) as hub:
        configs = _configs(hub, "bench-raw-org")
    conn = psycopg.connect(url, autocommit=True, prepare_threshold=0)
    conn.execute("SET TIME ZONE 'UTC'")
    return RawPostgres(conn, configs), conn.close


def backends(tmp: Path, postgres: str | None, scale: float) -> list[Backend]:
    result = []
    for name, sync, ops in (
        ("sqlite-file-full", "FULL", 150),
        ("sqlite-file-normal", "NORMAL", 600),
    ):
        sdk_url = f"sqlite:///{tmp / f'sdk-{sync}.db'}?synchronous={sync}"
        raw_url = f"sqlite:///{tmp / f'raw-{sync}.db'}?synchronous={sync}"
        result.append(Backend(name, sdk_url, raw_url, _raw_sqlite, max(2, int(ops * scale))))
    if postgres:
        result.append(
            Backend("postgresql", postgres, postgres, _raw_postgres, max(2, int(100 * scale)))
        )
    return result


def check_finished(backend: Backend) -> None:
    """Every run the bench made, on either side, ended COMPLETED (else the bench is wrong)."""
    for org, url in ((ACTOR.org_id, backend.sdk_url), ("bench-raw-org", backend.raw_url)):
        with SyncHub(url) as hub, hub.storage.unit_of_work(write=False) as uow:
            runs = uow.table(SYNC_RUNS)
            total = runs.count(org)
            completed = runs.count(org, {"status": "COMPLETED"})
            if not total or completed != total:
                raise RuntimeError(f"{backend.name}, {org}: {completed} of {total} runs completed")


def bench_cycles(items: list[Backend], rounds: int) -> list[dict[str, Any]]:
    rows = []
    for b in items:
        hub = SyncHub(b.sdk_url)
        sdk = sdk_cycle(hub)
        raw, close_raw = b.raw(b.raw_url)
        sdk_series, raw_series = Series(), Series()
        pairs: list[float] = []
        Series().run(sdk, 20)  # warm up both: statement caches, page cache, lazy imports
        Series().run(raw, 20)
        with quiet_gc():
            for r in range(rounds):
                if r % 2:
                    raw_rate = raw_series.run(raw, b.ops)
                    pairs.append(sdk_series.run(sdk, b.ops) / raw_rate)
                else:
                    sdk_rate = sdk_series.run(sdk, b.ops)
                    pairs.append(sdk_rate / raw_series.run(raw, b.ops))
        close_raw()
        hub.close()
        rows.append(
            {
                "backend": b.name,
                "sdk_ops": sdk_series.ops_per_s,
                "p50_us": sdk_series.pct(0.50),
                "p99_us": sdk_series.pct(0.99),
                "raw_ops": raw_series.ops_per_s,
                "ratio": statistics.median(pairs),
                "pairs": pairs,
                "whole_ratio": sdk_series.ops_per_s / raw_series.ops_per_s,
                "sdk_max_ms": max(sdk_series.latencies) * 1e3,
                "raw_max_ms": max(raw_series.latencies) * 1e3,
            }
        )
    return rows


# -- schedule_due at scale ---------------------------------------------------------------------

T0 = datetime(2026, 3, 1, 0, 0, 30, tzinfo=UTC)
DUE = {**INPUT, "scheduleEnabled": True, "scheduleCron": "*/5 * * * *"}
YEARLY = {**INPUT, "scheduleEnabled": True, "scheduleCron": "0 0 1 1 *"}  # not due in the bench


def fill_schedules(url: str, total: int, due: int) -> None:
    """``total`` configs with a schedule, created at :data:`T0`; every (total / due)-th is due
    every 5 minutes, the others yearly."""
    every = total // due
    with SyncHub(url, clock=lambda: T0) as hub:
        made = 0
        while made < total:
            n = min(1000, total - made)
            items = [DUE if (made + i) % every == 0 else YEARLY for i in range(n)]
            hub.create_sync_configs(items, actor=ACTOR)
            made += n


class _Store:
    """One store of the scaling bench: its hub, and a raw connection that closes runs."""

    def __init__(self, url: str, due: int) -> None:
        self.hub = SyncHub(url)
        self.due = due
        self.seconds: list[float] = []
        self._url = url

    def call(self, now: datetime, timed: bool) -> None:
        start = time.perf_counter()
        made = self.hub.schedule_due(now)
        took = time.perf_counter() - start
        if len(made) != self.due:
            raise RuntimeError(f"schedule_due made {len(made)} runs, not {self.due}")
        if timed:
            self.seconds.append(took)
        self._close_runs()

    def _close_runs(self) -> None:
        sql = "UPDATE sync_runs SET status = 'CANCELLED' WHERE status = 'PENDING'"
        if self._url.startswith("postgresql"):
            import psycopg

            with psycopg.connect(self._url, autocommit=True) as conn:
                conn.execute(sql)
        else:
            conn = sqlite3.connect(self._url.removeprefix("sqlite:///").partition("?")[0])
            with conn:
                conn.execute(sql)
            conn.close()

    def close(self) -> None:
        self.hub.close()


def bench_schedule(
    small_url: str, big_url: str, total: int, due: int, rounds: int
) -> dict[str, float]:
    """Median ``schedule_due`` seconds with ``due`` configs in all, and with ``total`` of
    which ``due`` are due; interleaved rounds, a slot later each, after one untimed round."""
    fill_schedules(small_url, due, due)
    print(f"  filling to {total:,} configs ...", file=sys.stderr, flush=True)
    fill_schedules(big_url, total, due)
    small, big = _Store(small_url, due), _Store(big_url, due)
    try:
        for r in range(rounds + 1):
            now = T0 + timedelta(minutes=5 * (r + 1), seconds=30)
            for store in (small, big) if r % 2 == 0 else (big, small):
                store.call(now, timed=r > 0)
    finally:
        small.close()
        big.close()
    small_s, big_s = statistics.median(small.seconds), statistics.median(big.seconds)
    return {"small_ms": small_s * 1e3, "big_ms": big_s * 1e3, "ratio": big_s / small_s}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--check", action="store_true", help="exit 1 when a target is missed")
    parser.add_argument("--rounds", type=int, default=10)
    parser.add_argument("--ops-scale", type=float, default=1.0, help="multiply ops per round")
    parser.add_argument("--postgres", default=os.environ.get("SYNC_SDK_BENCH_POSTGRES_URL"))
    parser.add_argument("--schedule-configs", type=int, default=100_000)
    parser.add_argument("--schedule-due", type=int, default=1000)
    parser.add_argument("--schedule-rounds", type=int, default=7)
    parser.add_argument("--quick", action="store_true", help="a smoke run: tiny sizes, no check")
    parser.add_argument("--only", default="", help="comma-separated backends of the table")
    args = parser.parse_args(argv)
    if args.quick:
        args.rounds, args.ops_scale, args.schedule_rounds = 2, 0.1, 2
        args.schedule_configs, args.schedule_due = 2000, 50
    only = args.only.split(",") if args.only else []

    failures: list[str] = []
    with tempfile.TemporaryDirectory(prefix="sync-sdk-bench-") as tmpdir, ExitStack() as stack:
        tmp = Path(tmpdir)
        postgres = args.postgres
        if postgres and (not only or "postgresql" in only):
            postgres = stack.enter_context(postgres_schema(postgres))
        else:
            postgres = None
        chosen = [b for b in backends(tmp, postgres, args.ops_scale) if not only or b.name in only]
        rows = bench_cycles(chosen, args.rounds)
        print(
            f"trigger_sync + run_pending(limit=1), one run each, {args.rounds} interleaved rounds,"
            f" Python {sys.version.split()[0]}, SQLite {sqlite3.sqlite_version},"
            f" {os.cpu_count()} cores"
        )
        print()
        print(
            "| backend | SDK runs/s | SDK p50 µs | SDK p99 µs | raw runs/s | SDK / raw | target |"
        )
        print("|---|---:|---:|---:|---:|---:|---:|")
        for row in rows:
            target = TARGETS.get(row["backend"])
            print(
                f"| {row['backend']} | {row['sdk_ops']:,.0f} | {row['p50_us']:,.0f} "
                f"| {row['p99_us']:,.0f} | {row['raw_ops']:,.0f} | {row['ratio']:.2f} | "
                f"{f'>= {target}' if target else ''} |"
            )
            if target and row["ratio"] < target:
                failures.append(f"{row['backend']}: SDK/raw {row['ratio']:.2f} < {target}")
        print()
        print(f"SDK / raw is the median of the {args.rounds} rounds' ratios; beside it:")
        for row in rows:
            print(
                f"  {row['backend']}: rounds {min(row['pairs']):.2f} to {max(row['pairs']):.2f},"
                f" whole run {row['whole_ratio']:.2f}; slowest run: SDK {row['sdk_max_ms']:.1f}"
                f" ms, raw {row['raw_max_ms']:.1f} ms"
            )
        for b in chosen:
            check_finished(b)
        print()

        stores = []
        if not only or any(name.startswith("sqlite") for name in only):
            stores.append(
                (
                    "sqlite-file",
                    f"sqlite:///{tmp / 'due-small.db'}?synchronous=NORMAL",
                    f"sqlite:///{tmp / 'due-big.db'}?synchronous=NORMAL",
                )
            )
        if postgres:
            small_pg = stack.enter_context(postgres_schema(args.postgres))
            big_pg = stack.enter_context(postgres_schema(args.postgres))
            stores.append(("postgresql", small_pg, big_pg))
        for name, small_url, big_url in stores:
            s = bench_schedule(
                small_url, big_url, args.schedule_configs, args.schedule_due, args.schedule_rounds
            )
            print(
                f"schedule_due ({name}), {args.schedule_due:,} runs made: median"
                f" {s['small_ms']:.0f} ms with {args.schedule_due:,} configs in all,"
                f" {s['big_ms']:.0f} ms with {args.schedule_configs:,} configs"
                f" ({s['ratio']:.2f} x, target <= {SCHEDULE_TARGET} x)"
            )
            if s["ratio"] > SCHEDULE_TARGET:
                failures.append(f"schedule_due ({name}) at scale: {s['ratio']:.2f} x")

    if args.check and not args.quick:
        if failures:
            print("\nMISSED:\n  " + "\n  ".join(failures))
            return 1
        print("\nall targets met")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
