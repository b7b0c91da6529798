"""Benchmark ``SyncHub.create_sync_config`` against the raw database driver, in the same run.

    python benchmarks/bench_create.py                 # the table
    python benchmarks/bench_create.py --check         # exit 1 when a target is missed
    python benchmarks/bench_create.py --postgres URL  # add PostgreSQL
                                                      # (or $SYNC_SDK_BENCH_POSTGRES_URL)
    python benchmarks/bench_create.py --scale 1000000 # get/list at 1,000 vs --scale configs

For each backend the SDK and a raw baseline run in interleaved rounds (SDK, raw, raw, SDK, ...)
so that machine noise hits both alike. The raw baseline is plain ``sqlite3`` (or psycopg) doing
what a hand-written implementation must do for one create: generate the ids and the time, build
the event payload as JSON, and insert the config, its audit record and its outbox event in one
transaction, on the same schema (the SDK's migrations create it) with the same durability
settings, leaving the same rows behind (on SQLite that includes adding one to the org's config
count, which the SDK's writes maintain, and the event's row in the table of pending events).
Each round's SDK / raw is its SDK ops/s divided by its raw ops/s; the table's ratio is the
median over the rounds, so that a stall of the machine that lands in one round (on this
project's disk, deleting a large file makes a flush a few seconds later take 75 to 160 ms)
does not decide the result. The ratio of the whole run's throughputs, the rounds' range and
each side's slowest create are printed below the table, so that a stall that is the SDK's own
shows.

On PostgreSQL the bench works in a schema of its own, ``sync_sdk_bench_<hex>``, created at start
in the URL's database (its user needs CREATE on it), set as the search_path of the SDK's and the
raw baseline's connections, and dropped with everything in it at the end, also when the run
fails or is interrupted: the database is left as it was found.

The batch line compares ``create_sync_configs`` (batches of 100) with single calls on a SQLite
file with synchronous=FULL; beside it, raw sqlite3 does the same comparison on a file of its
own (``executemany`` batches against one create per transaction), so that the table shows what
the disk allows a hand-written implementation in the same run.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import random
import sqlite3
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager, suppress
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote

from sync_sdk import Actor, CreateSyncConfigInput, SyncHub, ValidationError, signals
from sync_sdk.storage import open_storage

ACTOR = Actor(id="bench-user", org_id="bench-org")
INPUT = {
    "integrationId": "int-1",
    "connectionId": "conn-1",
    "name": "Contacts Sync",
    "direction": "OUTBOUND",
    "sourceObject": "contacts",
    "targetObject": "contacts",
}

TARGETS = {
    "sqlite-file-full": 0.85,
    "sqlite-memory": 0.70,
    "postgresql": 0.85,
}
VALIDATION_TARGET = 100_000  # inputs/s
BATCH_TARGET = 10.0  # x single-call throughput, SQLite file FULL
SCALE_TARGET = 2.0  # time at --scale / time at 1,000
MEMORY_TARGET_MB = 20.0  # RSS growth over 100,000 creates


# -- raw baselines ---------------------------------------------------------------------------

_RAW_CONFIG = (
    "INSERT INTO sync_configs (id, org_id, integration_id, connection_id, name, direction,"
    " source_object, target_object, schedule_enabled, schedule_cron, is_active, last_sync_at,"
    " field_mappings, created_by, created_at, idempotency_key, request_hash)"
    " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
)
_RAW_AUDIT = (
    "INSERT INTO audit_records (key, actor_id, org_id, subject_id, event_id, occurred_at)"
    " VALUES (?, ?, ?, ?, ?, ?)"
)
# On SQLite an undelivered event is a row of outbox_pending (see the SDK's migration 0004),
# and outbox_events.delivered_at is no longer written
_RAW_OUTBOX = (
    "INSERT INTO outbox_events (id, key, version, occurred_at, actor_id, org_id, subject_id,"
    " payload) VALUES (?, ?, ?, ?, ?, ?, ?, ?)"
)
_RAW_PENDING = "INSERT INTO outbox_pending (event_id) VALUES (?)"


def _raw_rows(data: dict[str, Any]) -> tuple[tuple[Any, ...], tuple[Any, ...], tuple[Any, ...]]:
    """The three rows of one create, as a hand-written implementation would build them."""
    config_id = "sync_" + uuid.uuid4().hex
    event_id = "evt_" + uuid.uuid4().hex
    now = datetime.now(UTC).isoformat()
    payload = json.dumps(
        {
            "id": config_id,
            **data,
            "scheduleEnabled": False,
            "scheduleCron": None,
            "isActive": True,
            "lastSyncAt": None,
            "fieldMappings": [],
        },
        separators=(",", ":"),
    )
    config = (
        config_id,
        ACTOR.org_id,
        data["integrationId"],
        data["connectionId"],
        data["name"],
        data["direction"],
        data["sourceObject"],
        data["targetObject"],
        0,
        None,
        1,
        None,
        "[]",
        ACTOR.id,
        now,
        None,
        None,
    )
    audit = ("integration.syncConfig.created", ACTOR.id, ACTOR.org_id, config_id, event_id, now)
    outbox = (
        event_id,
        "integration.syncConfig.created",
        "1.0.0",
        now,
        ACTOR.id,
        ACTOR.org_id,
        config_id,
        payload,
    )
    return config, audit, outbox


# The schema keeps each org's config count (list totals in O(1)); on SQLite the writer adds to
# it in the same transaction, so a hand-written create must too to leave the same rows behind.
_RAW_COUNT = (
    "INSERT INTO org_config_counts (org_id, config_count) VALUES (?, 1)"
    " ON CONFLICT (org_id) DO UPDATE SET config_count = config_count + 1"
)


def raw_sqlite(conn: sqlite3.Connection) -> Callable[[], None]:
    def create() -> None:
        config, audit, outbox = _raw_rows(INPUT)
        conn.execute("BEGIN IMMEDIATE")
        conn.execute(_RAW_CONFIG, config)
        conn.execute(_RAW_COUNT, (ACTOR.org_id,))
        conn.execute(_RAW_AUDIT, audit)
        conn.execute(_RAW_OUTBOX, outbox)
        conn.execute(_RAW_PENDING, outbox[:1])
        conn.execute("COMMIT")

    return create


def raw_sqlite_batch(conn: sqlite3.Connection, size: int) -> Callable[[], None]:
    """``size`` creates in one transaction, as a hand-written batch would: ``executemany``."""
    count = _RAW_COUNT.replace("VALUES (?, 1)", "VALUES (?, ?)").replace(
        "+ 1", "+ excluded.config_count"
    )

    def create_many() -> None:
        configs, audits, outboxes = zip(*(_raw_rows(INPUT) for _ in range(size)), strict=True)
        conn.execute("BEGIN IMMEDIATE")
        conn.executemany(_RAW_CONFIG, configs)
        conn.execute(count, (ACTOR.org_id, size))
        conn.executemany(_RAW_AUDIT, audits)
        conn.executemany(_RAW_OUTBOX, outboxes)
        conn.executemany(_RAW_PENDING, [outbox[:1] for outbox in outboxes])
        conn.execute("COMMIT")

    return create_many


_PG_CONFIG = (
    "INSERT INTO sync_configs (id, org_id, integration_id, connection_id, name, direction,"
    " source_object, target_object, schedule_enabled, schedule_cron, is_active, last_sync_at,"
    " field_mappings, created_by, created_at, idempotency_key, request_hash)"
    " VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s::jsonb, %s, %s, %s, %s)"
)
_PG_AUDIT = _RAW_AUDIT.replace("?", "%s")
_PG_OUTBOX = _RAW_OUTBOX.replace("?", "%s")


def raw_postgres(url: str) -> Callable[[], None]:
    """psycopg at its best for one create: one transaction, pipelined (one round trip)."""
    import psycopg

    conn = psycopg.connect(url, autocommit=True, prepare_threshold=0)
    conn.execute("SET TIME ZONE 'UTC'")
    # the bench's own schema (see postgres_schema), empty: the SDK's migrations create its tables
    open_storage(url).close()

    def create() -> None:
        config, audit, outbox = _raw_rows(INPUT)
        config = (*config[:8], False, None, True, *config[11:])
        with conn.pipeline(), conn.transaction():
            conn.execute(_PG_CONFIG, config)
            conn.execute(_PG_AUDIT, audit)
            conn.execute(_PG_OUTBOX, outbox)

    return create


def with_search_path(url: str, schema: str) -> str:
    """``url`` whose sessions use ``schema``: ``-csearch_path`` added to its ``options`` (after
    any the URL has: the last setting wins), or as a new ``options`` parameter."""
    option = f"-csearch_path={schema}"
    base, _, query = url.partition("?")
    params = query.split("&") if query else []
    for index, param in enumerate(params):
        name, _, value = param.partition("=")
        if name == "options":
            params[index] = f"options={value}{quote(' ' + option, safe='')}"
            break
    else:
        params.append(f"options={quote(option, safe='')}")
    return f"{base}?{'&'.join(params)}"


@contextmanager
def postgres_schema(url: str) -> Iterator[str]:
    """``url`` pointed at a new, empty schema of the bench's own, dropped with everything in it
    on the way out, whatever ends the run (an error, Ctrl-C)."""
    import psycopg

    schema = f"sync_sdk_bench_{uuid.uuid4().hex[:16]}"
    with psycopg.connect(url, autocommit=True) as admin:
        admin.execute(f"CREATE SCHEMA {schema}")
        try:
            # the run's sessions carry the schema's name, so that the end can find them
            yield f"{with_search_path(url, schema)}&application_name={schema}"
        finally:
            # A session of the run that Ctrl-C left inside a transaction holds locks that the
            # DROP would wait for: end the run's sessions first (a role may end its own)
            try:
                admin.execute(
                    "SELECT pg_terminate_backend(pid, 5000) FROM pg_stat_activity"
                    " WHERE application_name = %s AND pid <> pg_backend_pid()",
                    (schema,),
                )
                admin.execute("SET lock_timeout = '10s'")
                admin.execute(f"DROP SCHEMA {schema} CASCADE")
            except psycopg.Error as exc:
                print(
                    f"could not drop the bench's schema {schema} ({exc}): drop it with"
                    f" DROP SCHEMA {schema} CASCADE",
                    file=sys.stderr,
                )


# -- measurement -----------------------------------------------------------------------------


@dataclass
class Series:
    seconds: float = 0.0
    ops: int = 0
    latencies: list[float] = field(default_factory=list)

    def run(self, fn: Callable[[], None], n: int) -> float:
        """Call ``fn`` ``n`` times, adding to the series; this call's own ops/s."""
        clock = time.perf_counter
        lat = self.latencies
        start = clock()
        for _ in range(n):
            t = clock()
            fn()
            lat.append(clock() - t)
        elapsed = clock() - start
        self.seconds += elapsed
        self.ops += n
        return n / elapsed

    @property
    def ops_per_s(self) -> float:
        return self.ops / self.seconds if self.seconds else 0.0

    def pct(self, q: float) -> float:
        data = sorted(self.latencies)
        return data[min(len(data) - 1, int(q * len(data)))] * 1e6 if data else 0.0


@contextmanager
def quiet_gc() -> Iterator[None]:
    gc.collect()
    yield
    gc.collect()


@dataclass
class Backend:
    name: str
    sdk_url: str
    raw: Callable[[], Callable[[], None]] | None
    ops: int


def backends(tmp: Path, postgres: str | None, scale_ops: float) -> list[Backend]:
    def sqlite_raw(path: str, sync: str) -> Callable[[], Callable[[], None]]:
        def make() -> Callable[[], None]:
            storage = open_storage(f"sqlite:///{path}?synchronous={sync}")
            return raw_sqlite(storage.db.conn)  # type: ignore[attr-defined]

        return make

    result = [
        Backend(
            "sqlite-file-full",
            f"sqlite:///{tmp / 'sdk-full.db'}",
            sqlite_raw(str(tmp / "raw-full.db"), "FULL"),
            int(150 * scale_ops),
        ),
        Backend(
            "sqlite-file-normal",
            f"sqlite:///{tmp / 'sdk-normal.db'}?synchronous=NORMAL",
            sqlite_raw(str(tmp / "raw-normal.db"), "NORMAL"),
            int(1500 * scale_ops),
        ),
        Backend(
            "sqlite-memory", "sqlite://", sqlite_raw(":memory:", "FULL"), int(3000 * scale_ops)
        ),
        Backend("memory", "memory://", None, int(3000 * scale_ops)),
    ]
    if postgres:
        result.append(
            Backend("postgresql", postgres, lambda: raw_postgres(postgres), int(500 * scale_ops))
        )
    return result


def bench_backends(items: list[Backend], rounds: int) -> list[dict[str, Any]]:
    rows = []
    for b in items:
        hub = SyncHub(b.sdk_url)
        sdk_create = lambda hub=hub: hub.create_sync_config(INPUT, actor=ACTOR)  # noqa: E731
        raw_create = b.raw() if b.raw else None
        sdk, raw = Series(), Series()
        pairs: list[float] = []  # each round's SDK / raw
        # warm up both: statement caches, page cache, lazy imports
        Series().run(sdk_create, 50)
        if raw_create:
            Series().run(raw_create, 50)
        with quiet_gc():
            for r in range(rounds):
                if raw_create is None:
                    sdk.run(sdk_create, b.ops)
                elif r % 2:
                    raw_rate = raw.run(raw_create, b.ops)
                    pairs.append(sdk.run(sdk_create, b.ops) / raw_rate)
                else:
                    sdk_rate = sdk.run(sdk_create, b.ops)
                    pairs.append(sdk_rate / raw.run(raw_create, b.ops))
        hub.close()
        rows.append(
            {
                "backend": b.name,
                "sdk_ops": sdk.ops_per_s,
                "p50_us": sdk.pct(0.50),
                "p99_us": sdk.pct(0.99),
                "sdk_max_ms": max(sdk.latencies) * 1e3,
                "raw_ops": raw.ops_per_s if raw_create else None,
                "raw_max_ms": max(raw.latencies) * 1e3 if raw_create else None,
                "ratio": statistics.median(pairs) if pairs else None,
                "pairs": pairs,
                "whole_ratio": sdk.ops_per_s / raw.ops_per_s if raw_create else None,
            }
        )
    return rows


def bench_validation(seconds: float = 1.0, runs: int = 7) -> float:
    """Median inputs/s of ``runs`` timed runs (a noisy machine skews any single one)."""
    mixed = [
        INPUT,
        {**INPUT, "direction": "outbound"},
        {**INPUT, "scheduleEnabled": True, "scheduleCron": "*/15 * * * *"},
        {"name": " ", "sourceConnectionId": "conn-1"},
        {**INPUT, "name": "x" * 40, "targetObject": "deals"},
        {**INPUT, "scheduleEnabled": "true"},
        {**INPUT, "scheduleEnabled": True, "scheduleCron": "0 0 12 * * ?"},
        {**INPUT, "direction": "BIDIRECTIONAL"},
    ]
    rates = []
    for _ in range(runs):
        done = 0
        start = time.perf_counter()
        while time.perf_counter() - start < seconds / runs:
            for data in mixed:
                with suppress(ValidationError):
                    CreateSyncConfigInput.from_dict(data)
            done += len(mixed)
        rates.append(done / (time.perf_counter() - start))
    return statistics.median(rates)


@dataclass
class BatchResult:
    """configs/s of single calls and of batches, for the SDK and for raw sqlite3, over the
    whole run, and each round's batch / single ratio (the speedups are their medians)."""

    single: float
    batch: float
    raw_single: float
    raw_batch: float
    rounds: list[float]
    raw_rounds: list[float]

    @property
    def speedup(self) -> float:
        return statistics.median(self.rounds)

    @property
    def raw_speedup(self) -> float:
        return statistics.median(self.raw_rounds)


def bench_batch(tmp: Path, rounds: int, size: int = 100, per_round: int = 1000) -> BatchResult:
    """Single calls against batches on SQLite files with synchronous=FULL, interleaved: the SDK
    (``create_sync_config`` against ``create_sync_configs``) and, on a file of its own, raw
    sqlite3 doing the same rows (one create per transaction against ``executemany`` batches).

    Each round writes ``per_round`` configs in batches and a fifth as many by single calls
    (about the same time each way), each way for the SDK and for raw sqlite3, and gives a ratio
    of batch to single throughput for each. Rounds are long enough to span several WAL
    checkpoints (SQLite runs one every 1,000 pages, about every 18 batches), so that where one
    falls moves a round's ratio by a few percent at most.
    """
    single, batch, raw_single, raw_batch = Series(), Series(), Series(), Series()
    ratios: list[float] = []
    raw_ratios: list[float] = []
    items = [INPUT] * size
    raw_storage = open_storage(f"sqlite:///{tmp / 'raw-batch.db'}")
    raw_conn: sqlite3.Connection = raw_storage.db.conn  # type: ignore[attr-defined]
    raw_one, raw_many = raw_sqlite(raw_conn), raw_sqlite_batch(raw_conn, size)
    with SyncHub(f"sqlite:///{tmp / 'batch.db'}") as hub:
        one = lambda: hub.create_sync_config(INPUT, actor=ACTOR)  # noqa: E731
        many = lambda: hub.create_sync_configs(items, actor=ACTOR)  # noqa: E731
        Series().run(many, 2)  # warm up: statement caches
        Series().run(raw_many, 2)
        for r in range(rounds):
            order = [
                ("single", single, one, per_round // 5),
                ("batch", batch, many, per_round // size),
                ("raw_single", raw_single, raw_one, per_round // 5),
                ("raw_batch", raw_batch, raw_many, per_round // size),
            ]
            turn = order[r % 4 :] + order[: r % 4]
            rate = {name: series.run(fn, n) for name, series, fn, n in turn}
            ratios.append(rate["batch"] * size / rate["single"])
            raw_ratios.append(rate["raw_batch"] * size / rate["raw_single"])
    raw_storage.close()
    return BatchResult(
        single.ops_per_s,
        batch.ops_per_s * size,
        raw_single.ops_per_s,
        raw_batch.ops_per_s * size,
        ratios,
        raw_ratios,
    )


def _fill(hub: SyncHub, total: int, org: str = "bench-org") -> list[str]:
    actor = Actor(id="bench-user", org_id=org)
    ids: list[str] = []
    chunk = 5000
    while len(ids) < total:
        n = min(chunk, total - len(ids))
        ids.extend(c.id for c in hub.create_sync_configs([INPUT] * n, actor=actor))
    return ids


class _Reads:
    """get/list latencies on one store: ``n`` random stored ids, read once to warm the caches."""

    def __init__(self, hub: SyncHub, ids: list[str], n: int, rnd: random.Random) -> None:
        self.hub = hub
        self.picks = [rnd.choice(ids) for _ in range(n)]
        for config_id in self.picks:  # warm the caches alike at both sizes
            hub.get_sync_config(config_id, actor=ACTOR)
        self.get, self.listing = Series(), Series()

    def run(self, start: int, n: int) -> None:
        hub, it = self.hub, iter(self.picks[start : start + n])
        self.get.run(lambda: hub.get_sync_config(next(it), actor=ACTOR), n)
        self.listing.run(lambda: hub.list_sync_configs(actor=ACTOR, limit=20, offset=0), n)

    def medians(self) -> tuple[float, float]:
        return statistics.median(self.get.latencies), statistics.median(self.listing.latencies)


def bench_scale(tmp: Path, big: int, n: int = 2000, rounds: int = 10) -> dict[str, float]:
    """Median get/list latency with 1,000 configs stored and with ``big``, in one org each.

    Both stores are filled first, then read in interleaved rounds (small, big, big, small, ...):
    this machine's speed drifts by up to 2 x from one minute to the next, which reading the small
    store before filling the big one would count as a cost of the million rows.
    """
    rnd = random.Random(7)
    with (
        SyncHub(f"sqlite:///{tmp / 'scale-small.db'}?synchronous=NORMAL") as small_hub,
        SyncHub(f"sqlite:///{tmp / 'scale-big.db'}?synchronous=NORMAL") as big_hub,
    ):
        small_ids = _fill(small_hub, 1000)
        print(f"  filling to {big:,} configs ...", file=sys.stderr, flush=True)
        big_ids = _fill(big_hub, big)
        small, large = _Reads(small_hub, small_ids, n, rnd), _Reads(big_hub, big_ids, n, rnd)
        per_round = n // rounds
        for r in range(rounds):
            for reads in (small, large) if r % 2 == 0 else (large, small):
                reads.run(r * per_round, per_round)
        (small_get, small_list), (big_get, big_list) = small.medians(), large.medians()
    return {
        "get_small_us": small_get * 1e6,
        "get_big_us": big_get * 1e6,
        "list_small_us": small_list * 1e6,
        "list_big_us": big_list * 1e6,
        "get_ratio": big_get / small_get,
        "list_ratio": big_list / small_list,
    }


def _rss_mb() -> float:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


def bench_memory(tmp: Path, creates: int) -> tuple[float, float]:
    """RSS (MB) before and after ``creates`` creates on a SQLite file, a subscriber connected."""
    received = [0]

    def subscriber(sender: object, *, event: object) -> None:
        received[0] += 1

    with (
        SyncHub(f"sqlite:///{tmp / 'rss.db'}?synchronous=OFF") as hub,
        signals.sync_config_created.connected_to(subscriber),
    ):
        for _ in range(2000):
            hub.create_sync_config(INPUT, actor=ACTOR)
        gc.collect()
        before = _rss_mb()
        for _ in range(creates):
            hub.create_sync_config(INPUT, actor=ACTOR)
        gc.collect()
        after = _rss_mb()
    assert received[0] == creates + 2000
    return before, after


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--check", action="store_true", help="exit 1 when a target is missed")
    parser.add_argument("--rounds", type=int, default=10)
    parser.add_argument("--batch-rounds", type=int, default=24, help="rounds of the batch bench")
    parser.add_argument("--ops-scale", type=float, default=1.0, help="multiply ops per round")
    parser.add_argument("--postgres", default=os.environ.get("SYNC_SDK_BENCH_POSTGRES_URL"))
    parser.add_argument("--scale", type=int, default=0, help="also get/list at this many configs")
    parser.add_argument("--memory-creates", type=int, default=100_000)
    parser.add_argument("--quick", action="store_true", help="a smoke run: tiny sizes, no check")
    parser.add_argument("--only", default="", help="comma-separated backends of the table")
    args = parser.parse_args(argv)
    if args.quick:
        args.rounds, args.ops_scale, args.memory_creates = 2, 0.05, 500

    failures: list[str] = []
    with tempfile.TemporaryDirectory(prefix="sync-sdk-bench-") as tmpdir, ExitStack() as stack:
        tmp = Path(tmpdir)
        postgres = args.postgres
        if postgres and (not args.only or "postgresql" in args.only.split(",")):
            postgres = stack.enter_context(postgres_schema(postgres))
        chosen = [
            b
            for b in backends(tmp, postgres, args.ops_scale)
            if not args.only or b.name in args.only.split(",")
        ]
        rows = bench_backends(chosen, args.rounds)
        print(
            f"create_sync_config, {args.rounds} interleaved rounds, "
            f"Python {sys.version.split()[0]}, SQLite {sqlite3.sqlite_version}, "
            f"{os.cpu_count()} cores"
        )
        print()
        print("| backend | SDK ops/s | SDK p50 µs | SDK p99 µs | raw ops/s | SDK / raw | target |")
        print("|---|---:|---:|---:|---:|---:|---:|")
        for row in rows:
            target = TARGETS.get(row["backend"])
            raw = f"{row['raw_ops']:,.0f}" if row["raw_ops"] else "n/a"
            ratio = f"{row['ratio']:.2f}" if row["ratio"] else "n/a"
            print(
                f"| {row['backend']} | {row['sdk_ops']:,.0f} | {row['p50_us']:,.0f} "
                f"| {row['p99_us']:,.0f} | {raw} | {ratio} | "
                f"{f'>= {target}' if target else ''} |"
            )
            if target and row["ratio"] < target:
                failures.append(f"{row['backend']}: SDK/raw {row['ratio']:.2f} < {target}")
        print()
        print(f"SDK / raw is the median of the {args.rounds} rounds' ratios; beside it:")
        for row in rows:
            if row["ratio"]:
                print(
                    f"  {row['backend']}: rounds {min(row['pairs']):.2f} to "
                    f"{max(row['pairs']):.2f}, whole run {row['whole_ratio']:.2f}; slowest "
                    f"create: SDK {row['sdk_max_ms']:.1f} ms, raw {row['raw_max_ms']:.1f} ms"
                )
        print()

        rate = bench_validation(0.2 if args.quick else 2.0)
        print(
            f"validation (valid and invalid mixed): {rate:,.0f} inputs/s "
            f"(target >= {VALIDATION_TARGET:,})"
        )
        if rate < VALIDATION_TARGET:
            failures.append(f"validation: {rate:,.0f} inputs/s < {VALIDATION_TARGET:,}")

        b = (
            bench_batch(tmp, 1, per_round=200)
            if args.quick
            else bench_batch(tmp, args.batch_rounds)
        )
        print(
            f"create_sync_configs (batches of 100, SQLite file FULL): {b.batch:,.0f} configs/s, "
            f"{b.speedup:.1f} x single calls ({b.single:,.0f}/s) (target >= {BATCH_TARGET:.0f} x)"
        )
        print(
            f"  batch / single is the median of {len(b.rounds)} rounds' ratios: rounds "
            f"{min(b.rounds):.1f} to {max(b.rounds):.1f} x, whole run {b.batch / b.single:.1f} x"
        )
        print(
            f"  raw sqlite3, same rows, same file settings: executemany batches of 100 "
            f"{b.raw_batch:,.0f} configs/s, {b.raw_speedup:.1f} x its single creates "
            f"({b.raw_single:,.0f}/s); SDK batch / raw batch {b.batch / b.raw_batch:.2f}"
        )
        if b.speedup < BATCH_TARGET:
            failures.append(f"batch: {b.speedup:.1f} x < {BATCH_TARGET} x")

        before, after = bench_memory(tmp, args.memory_creates)
        grown = after - before
        print(
            f"RSS growth over {args.memory_creates:,} creates with a subscriber: {grown:.1f} MB "
            f"({before:.1f} -> {after:.1f} MB; target < {MEMORY_TARGET_MB:.0f} MB)"
        )
        if grown >= MEMORY_TARGET_MB:
            failures.append(f"memory: grew {grown:.1f} MB")

        if args.scale:
            s = bench_scale(tmp, args.scale)
            print(
                f"get_sync_config median: {s['get_small_us']:.0f} µs at 1,000, "
                f"{s['get_big_us']:.0f} µs at {args.scale:,} ({s['get_ratio']:.2f} x, "
                f"target <= {SCALE_TARGET} x)"
            )
            print(
                f"list_sync_configs first page median: {s['list_small_us']:.0f} µs at 1,000, "
                f"{s['list_big_us']:.0f} µs at {args.scale:,} ({s['list_ratio']:.2f} x)"
            )
            for what in ("get", "list"):
                if s[f"{what}_ratio"] > SCALE_TARGET:
                    failures.append(f"{what} at scale: {s[f'{what}_ratio']:.2f} x")

    if args.check and not args.quick:
        if failures:
            print("\nMISSED:\n  " + "\n  ".join(failures))
            return 1
        print("\nall targets met")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
