"""Worker processes share one database: every run finished exactly once, none lost.

* Four ``sync-sdk worker`` processes run :data:`RUNS` runs (2,000; ``$SYNC_SDK_RELIABILITY_RUNS``
  scales it) of 40 configs in four orgs, which this process triggers again as soon as their
  previous run ends, so that triggers race claims and finishes all along. The engine (a module
  written to the test's directory) appends each run's id to a file of its process and checks,
  from a connection of its own, that its config has exactly one active run: its own, RUNNING.
* Workers killed with SIGKILL while their engine runs leave RUNNING runs that a later
  ``run_pending`` takes back, once their lease ran out, as FAILED with the lost-worker message,
  its event and its audit record; their configs run again; and workers killed at random moments
  run nothing twice.
* Eight processes call ``schedule_due`` for the same slots at the same moment: exactly one run
  per config and slot.
* A cancel committed by another process while a worker writes its run's outcome still ends the
  run CANCELLED (PostgreSQL, where nothing else holds the cancel back).

Each runs on a SQLite file and on PostgreSQL; the rows are read back with the driver itself.
"""

from __future__ import annotations

import contextlib
import json
import os
import random
import signal
import sqlite3
import subprocess
import sys
import time
import zlib
from collections import Counter
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from sync_sdk import Actor, Conflict, SyncHub, signals
from sync_sdk.engine import RunContext, SyncResult
from sync_sdk.events import EventEnvelope
from sync_sdk.models import SyncRun, SyncStatus
from sync_sdk.storage.tables import SqlTable
from sync_sdk.worker import LOST_WORKER

from ..conftest import VALID_INPUT, storage_url
from .conftest import wait_for

pytestmark = pytest.mark.reliability

#: Runs of the four-worker test (CI runs the full number).
RUNS = int(os.environ.get("SYNC_SDK_RELIABILITY_RUNS", "2000"))
WORKERS = 4
ORGS = [Actor(id=f"user-{n}", org_id=f"org-{n}") for n in range(4)]
SQL_BACKENDS = ["sqlite-file", "postgres"]
WORKER = [sys.executable, "-m", "sync_sdk", "worker", "--interval", "0.05"]

# The engine of the worker processes, imported by ``sync-sdk worker --engine
# reliab_engine:engine`` from the test's directory; its outcome() is the one below.
ENGINE = '''
"""Records each run it is given, checks its config's active runs, returns counts or raises."""

import os
import time
import zlib

from sync_sdk.engine import SyncResult

_conn = []


def outcome(run_id):
    """The counts for a run, or None for the one run in ten that fails."""
    n = zlib.crc32(run_id.encode())
    if n % 10 == 0:
        return None
    processed = n % 1000
    return SyncResult(
        records_processed=processed,
        records_created=processed // 3,
        records_updated=processed // 2,
        records_failed=processed % 7,
    )


def _active(config_id):
    """The config's active runs, read on a connection of this engine's own."""
    if not _conn:
        url = os.environ["RELIAB_URL"]
        if url.startswith("postgresql"):
            import psycopg

            _conn.append(psycopg.connect(url, autocommit=True))
        else:
            import sqlite3

            path = url.removeprefix("sqlite:///")
            _conn.append(sqlite3.connect(path, timeout=30, isolation_level=None))
    sql = (
        "SELECT id, status FROM sync_runs WHERE sync_config_id = '%s'"
        " AND status IN ('PENDING', 'RUNNING')" % config_id
    )
    return [tuple(row) for row in _conn[0].execute(sql).fetchall()]


def engine(context):
    run = context.run
    out = os.environ["RELIAB_OUT"]
    with open(os.path.join(out, "ran-%d.txt" % os.getpid()), "a") as ran:
        ran.write(run.id + "\\n")
    active = _active(run.sync_config_id)
    if active != [(run.id, "RUNNING")]:
        with open(os.path.join(out, "violations.txt"), "a") as violations:
            violations.write("%s %r\\n" % (run.id, active))
    hold = float(os.environ.get("RELIAB_HOLD", "0"))
    if hold:
        time.sleep(hold)
    result = outcome(run.id)
    if result is None:
        raise RuntimeError("no luck for " + run.id)
    return result
'''


def outcome(run_id: str) -> SyncResult | None:
    """What the engine returns for a run: counts, or None for the one run in ten it fails
    (the same function as in :data:`ENGINE`)."""
    n = zlib.crc32(run_id.encode())
    if n % 10 == 0:
        return None
    processed = n % 1000
    return SyncResult(
        records_processed=processed,
        records_created=processed // 3,
        records_updated=processed // 2,
        records_failed=processed % 7,
    )


class Workers:
    """``sync-sdk worker`` processes on one storage, with the engine above; their output goes
    to files (a pipe left unread would stop a worker that logs a lot)."""

    def __init__(self, tmp_path: Path, url: str, **env: str) -> None:
        self.dir = tmp_path
        self.url = url
        self.out = tmp_path / "out"
        self.out.mkdir(exist_ok=True)
        (tmp_path / "reliab_engine.py").write_text(ENGINE)
        self.env = {
            **os.environ,
            "PYTHONUNBUFFERED": "1",
            "RELIAB_URL": url,
            "RELIAB_OUT": str(self.out),
            **env,
        }
        self.procs: list[subprocess.Popen[str]] = []
        self._files: dict[int, tuple[Path, Path]] = {}  # pid -> its stdout and stderr

    def start(self, n: int = 1) -> list[subprocess.Popen[str]]:
        started = []
        for _ in range(n):
            number = len(self.procs)
            files = self.dir / f"worker-{number}.out", self.dir / f"worker-{number}.err"
            with open(files[0], "w") as out, open(files[1], "w") as err:
                proc = subprocess.Popen(
                    [*WORKER, "--storage", self.url, "--engine", "reliab_engine:engine"],
                    cwd=self.dir,
                    env=self.env,
                    stdout=out,
                    stderr=err,
                    text=True,
                )
            self._files[proc.pid] = files
            self.procs.append(proc)
            started.append(proc)
        return started

    def output(self, proc: subprocess.Popen[str]) -> tuple[str, str]:
        out, err = self._files[proc.pid]
        return out.read_text(), err.read_text()

    def check_alive(self, *procs: subprocess.Popen[str]) -> None:
        """Fail, with its stderr, if one of ``procs`` (default: all) exited."""
        for proc in procs or self.procs:
            if proc.poll() is not None:
                pytest.fail(f"worker exited with {proc.returncode}: {self.output(proc)[1]}")

    def ran(self) -> dict[str, list[str]]:
        """The run ids each process's engine was given, by file."""
        return {f.name: f.read_text().split() for f in sorted(self.out.glob("ran-*.txt"))}

    def violations(self) -> str:
        path = self.out / "violations.txt"
        return path.read_text() if path.exists() else ""

    def kill_all(self) -> None:
        for proc in self.procs:
            if proc.poll() is None:
                proc.kill()
                proc.wait(timeout=60)


@pytest.fixture
def workers(tmp_path: Path) -> Iterator[Callable[..., Workers]]:
    made: list[Workers] = []

    def make(url: str, **env: str) -> Workers:
        made.append(Workers(tmp_path, url, **env))
        return made[-1]

    yield make
    for group in made:  # a failed test leaves no worker behind
        group.kill_all()


def sql_rows(url: str, sql: str) -> list[tuple[Any, ...]]:
    """Rows of ``sql`` read with the driver itself (the SDK's own reads are not the proof)."""
    if url.startswith("postgresql"):
        import psycopg

        with psycopg.connect(url) as conn:
            return [tuple(row) for row in conn.execute(sql).fetchall()]
    conn = sqlite3.connect(url.removeprefix("sqlite:///"), timeout=30)
    try:
        return conn.execute(sql).fetchall()
    finally:
        conn.close()


def stored_runs(url: str) -> dict[str, tuple[Any, ...]]:
    """Every run: id -> (config, status, processed, created, updated, failed, error)."""
    rows = sql_rows(
        url,
        "SELECT id, sync_config_id, status, records_processed, records_created,"
        " records_updated, records_failed, error_message FROM sync_runs",
    )
    return {row[0]: row[1:] for row in rows}


def effects(url: str, table: str, key_column: str) -> Counter[tuple[str, str]]:
    """(key, subject) -> how many rows of ``table`` (audit records or outbox events)."""
    rows = sql_rows(url, f"SELECT {key_column}, subject_id FROM {table}")
    return Counter((key, subject) for key, subject in rows)


def has_active_run_index(url: str) -> bool:
    sql = (
        "SELECT indexname FROM pg_indexes WHERE indexname = 'sync_runs_active'"
        if url.startswith("postgresql")
        else "SELECT name FROM sqlite_master WHERE type = 'index' AND name = 'sync_runs_active'"
    )
    return bool(sql_rows(url, sql))


def check_effects(url: str, runs: dict[str, tuple[Any, ...]]) -> None:
    """Each run has one started event and one triggered audit record; each finished run one
    end event and one audit record of the same key; nothing else is about a run."""
    ends = {"COMPLETED": "integration.sync.completed", "FAILED": "integration.sync.failed"}
    by_run: dict[str, dict[str, Counter[str]]] = {}
    for table, column in (("outbox_events", "key"), ("audit_records", "key")):
        for (key, subject), n in effects(url, table, column).items():
            by_run.setdefault(subject, {}).setdefault(table, Counter())[key] += n
    for run_id, row in runs.items():
        assert by_run[run_id] == {
            "outbox_events": Counter({"integration.sync.started": 1, ends[row[1]]: 1}),
            "audit_records": Counter({"integration.sync.triggered": 1, ends[row[1]]: 1}),
        }, run_id


def check_outcome(run_id: str, row: tuple[Any, ...]) -> None:
    """A run the engine finished holds what the engine returned, or the error it raised."""
    result = outcome(run_id)
    if result is None:
        assert row[1:] == ("FAILED", 0, 0, 0, 0, f"RuntimeError: no luck for {run_id}")
    else:
        counts = (
            result.records_processed,
            result.records_created,
            result.records_updated,
            result.records_failed,
        )
        assert row[1:] == ("COMPLETED", *counts, None)


def make_configs(hub: SyncHub, per_org: int) -> list[tuple[Actor, str]]:
    configs = []
    for actor in ORGS:
        made = hub.create_sync_configs([VALID_INPUT] * per_org, actor=actor)
        configs += [(actor, config.id) for config in made]
    return configs


@pytest.mark.parametrize("backend", SQL_BACKENDS)
def test_four_workers_finish_every_run_exactly_once(
    backend: str,
    tmp_path: Path,
    workers: Callable[..., Workers],
    report: Callable[[str], None],
) -> None:
    url = storage_url(backend, tmp_path)
    with SyncHub(url) as hub:
        configs = make_configs(hub, 10)
        group = workers(url)
        procs = group.start(WORKERS)
        triggered: list[str] = []
        conflicts = 0
        deadline = time.monotonic() + 600
        # each config is triggered again as soon as its run ended: a trigger while it is
        # active is refused, so triggers race the workers' claims and finishes all along
        while len(triggered) < RUNS:
            progress = False
            for actor, config_id in configs:
                if len(triggered) == RUNS:
                    break
                try:
                    triggered.append(hub.trigger_sync(sync_config_id=config_id, actor=actor).id)
                    progress = True
                except Conflict:
                    conflicts += 1
            if not progress:
                group.check_alive()
                assert time.monotonic() < deadline, f"{len(triggered)} runs triggered"
                time.sleep(0.002)

        def all_done() -> bool:
            group.check_alive()
            rows = sql_rows(
                url, "SELECT count(*) FROM sync_runs WHERE status IN ('PENDING', 'RUNNING')"
            )
            return rows[0][0] == 0

        wait_for(all_done, "the workers to finish every run", timeout=600)
    for proc in procs:  # they stop cleanly, after the run in hand
        proc.send_signal(signal.SIGTERM)
    finished = 0
    for proc in procs:
        assert proc.wait(timeout=60) == 0, group.output(proc)[1]
        out = group.output(proc)[0]
        lines = [line for line in out.splitlines() if " sync run run_" in line]
        stopped = [line for line in out.splitlines() if " stopped: " in line]
        assert len(stopped) == 1, out
        assert stopped[0].endswith(f"stopped: {len(lines)} run(s) finished")
        finished += len(lines)

    ran = group.ran()
    everything = [run_id for ids in ran.values() for run_id in ids]
    assert group.violations() == ""  # never a second active run of a config
    assert len(everything) == len(set(everything)) == RUNS  # no run given to an engine twice
    assert set(everything) == set(triggered)  # and none left out
    assert len(ran) == WORKERS and all(ran.values())  # the four shared the work
    assert finished == RUNS  # one log line per finished run
    runs = stored_runs(url)
    assert set(runs) == set(triggered)
    for run_id, row in runs.items():
        check_outcome(run_id, row)
    check_effects(url, runs)
    assert has_active_run_index(url)
    statuses = Counter(row[1] for row in runs.values())
    report(
        f"{WORKERS} worker processes x {RUNS} runs of {len(configs)} configs ({conflicts}"
        f" triggers refused while active) -> {statuses['COMPLETED']} COMPLETED,"
        f" {statuses['FAILED']} FAILED by the engine, runs per worker"
        f" {sorted(len(ids) for ids in ran.values())}, 0 run twice, 0 left active,"
        f" 0 configs with two active runs"
    )


def _engine_here(ran: list[str]) -> Callable[[RunContext], SyncResult]:
    """An engine in this process: records the run, returns its outcome (or raises)."""

    def engine(context: RunContext) -> SyncResult:
        ran.append(context.run.id)
        result = outcome(context.run.id)
        if result is None:
            raise RuntimeError(f"no luck for {context.run.id}")
        return result

    return engine


def _later(url: str, seconds: float) -> SyncHub:
    """A hub whose clock runs ``seconds`` ahead: the workers' leases ran out for it."""
    return SyncHub(url, clock=lambda: datetime.now(UTC) + timedelta(seconds=seconds))


@pytest.mark.parametrize("backend", SQL_BACKENDS)
def test_killed_workers_runs_are_taken_back_when_their_lease_ran_out(
    backend: str,
    tmp_path: Path,
    workers: Callable[..., Workers],
    report: Callable[[str], None],
) -> None:
    url = storage_url(backend, tmp_path)
    user = ORGS[0]
    with SyncHub(url) as hub:
        configs = [c.id for c in hub.create_sync_configs([VALID_INPUT] * 6, actor=user)]
        first = [hub.trigger_sync(sync_config_id=c, actor=user).id for c in configs]
        # each worker claims one run and its engine holds it: three RUNNING, three PENDING
        group = workers(url, RELIAB_HOLD="600")
        procs = group.start(3)

        def holding() -> bool:
            group.check_alive()
            return sum(len(ids) for ids in group.ran().values()) == 3

        wait_for(holding, "three engines holding a run")
        held = {ids[0] for ids in group.ran().values()}
        statuses = {run_id: row[1] for run_id, row in stored_runs(url).items()}
        assert {r for r, s in statuses.items() if s == "RUNNING"} == held
        for proc in procs:
            proc.send_signal(signal.SIGKILL)
        for proc in procs:
            assert proc.wait(timeout=60) == -signal.SIGKILL

        # the killed workers' leases have not run out yet: their runs stay RUNNING; the
        # pending ones are run
        ran_here: list[str] = []
        done = hub.run_pending(_engine_here(ran_here), limit=10)
        assert {r.id for r in done} == set(first) - held == set(ran_here)
        statuses = {run_id: row[1] for run_id, row in stored_runs(url).items()}
        assert {r for r, s in statuses.items() if s == "RUNNING"} == held
        with pytest.raises(Conflict):  # a held run is still active
            hub.trigger_sync(sync_config_id=stored_runs(url)[min(held)][0], actor=user)

    failed: list[EventEnvelope] = []
    with (
        _later(url, 301) as later,
        signals.sync_failed.connected_to(lambda sender, event: failed.append(event), sender=later),
    ):
        recovered = later.run_pending(_engine_here(ran_here), limit=10)
        assert {r.id for r in recovered} == held
        for run in recovered:
            assert run.status == "FAILED"
            assert run.error_message is not None and run.error_message.startswith(LOST_WORKER)
            stored = later.get_sync_run(run.id, actor=user)
            assert stored.status == "FAILED" and stored.error_message == run.error_message
            audit = later.audit_log(actor=user, subject_id=run.id)
            assert [(a.key, a.actor_id) for a in audit] == [
                ("integration.sync.triggered", user.id),
                ("integration.sync.failed", "sync_sdk:worker"),
            ]
        assert sorted(e.payload.id for e in failed) == sorted(held)
        assert all(e.payload.error_message.startswith(LOST_WORKER) for e in failed)
        # every config runs again, the lost ones too
        again = [later.trigger_sync(sync_config_id=c, actor=user).id for c in configs]
        assert {r.id for r in later.run_pending(_engine_here(ran_here), limit=10)} == set(again)

    runs = stored_runs(url)
    assert set(runs) == set(first) | set(again)  # none lost
    for run_id, row in runs.items():
        if run_id in held:
            assert row[1] == "FAILED" and row[6].startswith(LOST_WORKER)
        else:
            check_outcome(run_id, row)
    check_effects(url, runs)
    assert not held & set(ran_here)  # a lost run is never run again
    assert sorted(ran_here) == sorted((set(first) - held) | set(again))
    report(
        f"3 workers SIGKILLed mid-run -> {len(held)} runs FAILED as lost with their event and"
        f" audit record after the lease, {len(runs) - len(held)} others run once; configs ran"
        " again"
    )


@pytest.mark.parametrize("backend", SQL_BACKENDS)
def test_workers_killed_at_random_moments_run_nothing_twice(
    backend: str,
    tmp_path: Path,
    workers: Callable[..., Workers],
    report: Callable[[str], None],
) -> None:
    url = storage_url(backend, tmp_path)
    seed = int.from_bytes(os.urandom(4), "big")
    rng = random.Random(seed)
    kills = 8
    group = workers(url, RELIAB_HOLD="0.002")
    triggered: list[str] = []
    with SyncHub(url) as hub:
        configs = make_configs(hub, 5)
        for _ in range(kills):
            for actor, config_id in configs:
                with contextlib.suppress(Conflict):  # unless still active from a round before
                    triggered.append(hub.trigger_sync(sync_config_id=config_id, actor=actor).id)
            proc = group.start()[0]

            def started(proc: subprocess.Popen[str] = proc) -> bool:
                group.check_alive(proc)
                return (group.out / f"ran-{proc.pid}.txt").exists()

            # kill once the worker runs (a kill during imports proves nothing), then at a
            # random moment: mid-claim, mid-engine or mid-finish
            wait_for(started, "a first run")
            time.sleep(rng.uniform(0.0, 0.2))
            proc.send_signal(signal.SIGKILL)
            assert proc.wait(timeout=60) == -signal.SIGKILL
    ran_here: list[str] = []
    with _later(url, 301) as later:  # take back the runs the kills cut short, run the rest
        while later.run_pending(_engine_here(ran_here), limit=100):
            pass
    ran = [run_id for ids in group.ran().values() for run_id in ids] + ran_here
    assert len(ran) == len(set(ran)), f"seed {seed}: a run was given to an engine twice"
    runs = stored_runs(url)
    assert set(runs) == set(triggered), f"seed {seed}"  # none lost, none made up
    lost = {run_id for run_id, row in runs.items() if (row[6] or "").startswith(LOST_WORKER)}
    for run_id, row in runs.items():
        if run_id not in lost:
            assert run_id in ran, f"seed {seed}"
            check_outcome(run_id, row)
    check_effects(url, runs)
    report(
        f"{kills} SIGKILLs at random moments (seed {seed}) -> {len(runs)} runs, {len(lost)}"
        f" taken back as lost, {len(ran)} given to an engine, 0 twice, 0 left active"
    )


SCHEDULER = """
import json, os, sys, time
from datetime import datetime
from sync_sdk import SyncHub
hub = SyncHub(sys.argv[1])
print("ready", flush=True)
while not os.path.exists(sys.argv[2]):
    time.sleep(0.001)
made = hub.schedule_due(datetime.fromisoformat(sys.argv[3]))
print(json.dumps([run.id for run in made]), flush=True)
hub.close()
"""


def schedule_at_once(url: str, tmp_path: Path, now: datetime, processes: int = 8) -> list[str]:
    """``processes`` processes call ``schedule_due(now)`` together; the ids each returned."""
    go = tmp_path / f"go-{now.isoformat()}"
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", SCHEDULER, url, str(go), now.isoformat()],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(processes)
    ]
    for proc in procs:  # every process has its hub open: they schedule together
        assert proc.stdout is not None
        assert proc.stdout.readline().strip() == "ready", proc.communicate()[1]
    go.touch()
    results = [proc.communicate(timeout=300) for proc in procs]
    assert [proc.returncode for proc in procs] == [0] * processes, [e for _, e in results]
    return [run_id for out, _ in results for run_id in json.loads(out)]


def _slot_runs(url: str) -> Counter[tuple[str, datetime]]:
    rows = sql_rows(
        url, "SELECT sync_config_id, scheduled_for FROM sync_runs WHERE trigger = 'schedule'"
    )
    return Counter(
        (config, value if isinstance(value, datetime) else datetime.fromisoformat(value))
        for config, value in rows
    )


@pytest.mark.parametrize("backend", SQL_BACKENDS)
def test_processes_scheduling_at_once_make_one_run_per_config_and_slot(
    backend: str, tmp_path: Path, report: Callable[[str], None]
) -> None:
    url = storage_url(backend, tmp_path)
    start = datetime(2026, 1, 1, 12, 0, 30, tzinfo=UTC)
    every_5 = {**VALID_INPUT, "scheduleEnabled": True, "scheduleCron": "*/5 * * * *"}
    with SyncHub(url, clock=lambda: start) as hub:
        configs: list[str] = []
        for actor in ORGS[:2]:  # 250 configs: more than one batch of schedule_due
            configs += [c.id for c in hub.create_sync_configs([every_5] * 125, actor=actor)]
        # ten configs have a manual run active at the first slot: they skip it
        busy = {hub.trigger_sync(sync_config_id=c, actor=ORGS[0]).id: c for c in configs[:10]}

    first_slot = datetime(2026, 1, 1, 12, 5, tzinfo=UTC)
    made = schedule_at_once(url, tmp_path, start + timedelta(minutes=6))
    assert len(made) == len(set(made)) == len(configs) - 10
    slots = _slot_runs(url)
    assert slots == Counter({(c, first_slot): 1 for c in configs[10:]})

    with SyncHub(url) as hub:  # every run ends; three slots pass unseen
        while hub.run_pending(_engine_here([]), limit=1000):
            pass
    # the latest slot passed, once; the slots missed meanwhile are not replayed one by one
    latest_slot = datetime(2026, 1, 1, 12, 25, tzinfo=UTC)
    made_again = schedule_at_once(url, tmp_path, start + timedelta(minutes=26))
    assert len(made_again) == len(set(made_again)) == len(configs)
    slots = _slot_runs(url)
    assert slots == Counter(
        {(c, first_slot): 1 for c in configs[10:]} | {(c, latest_slot): 1 for c in configs}
    )
    runs = stored_runs(url)
    scheduled = set(made) | set(made_again)
    assert set(runs) == scheduled | set(busy)
    events = effects(url, "outbox_events", "key")
    assert all(events[("integration.sync.started", run_id)] == 1 for run_id in scheduled)
    report(
        f"8 processes x schedule_due at 2 moments, {len(configs)} configs -> {len(made)} +"
        f" {len(made_again)} runs, 1 per config and slot (10 skipped while active)"
    )


def test_a_cancel_landing_while_the_outcome_is_written_ends_the_run_cancelled(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Another process's cancel commits just before the worker writes COMPLETED (on SQLite the
    # worker holds the write lock by then; on PostgreSQL nothing stops it): the run ends
    # CANCELLED, as the cancel promised, never COMPLETED over it.
    url = storage_url("postgres", tmp_path)
    user = ORGS[0]
    cancelled: list[EventEnvelope] = []
    with SyncHub(url) as hub, SyncHub(url) as other:
        config = hub.create_sync_config(VALID_INPUT, actor=user)
        run = hub.trigger_sync(sync_config_id=config.id, actor=user)
        asked: list[SyncRun] = []
        update = SqlTable.update

        def update_after_a_cancel(
            self: SqlTable[Any], org_id: str, item_id: str, changes: Any, **kw: Any
        ) -> bool:
            if changes.get("status") == SyncStatus.COMPLETED and not asked:
                asked.append(other.cancel_sync_run(item_id, actor=user))
            return update(self, org_id, item_id, changes, **kw)

        monkeypatch.setattr(SqlTable, "update", update_after_a_cancel)
        with signals.signal_for("integration.sync.cancelled").connected_to(
            lambda sender, event: cancelled.append(event)
        ):
            done = hub.run_pending(lambda context: SyncResult(records_processed=5))
        assert [r.status for r in asked] == ["RUNNING"]  # the cancel was taken, for later
        assert [(r.id, r.status) for r in done] == [(run.id, "CANCELLED")]
        assert hub.get_sync_run(run.id, actor=user).status == "CANCELLED"
    assert [e.payload.id for e in cancelled] == [run.id]
