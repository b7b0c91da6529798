"""A sync config has at most one active (PENDING or RUNNING) run: a second trigger is a
Conflict naming the active run, and threads racing to trigger one config make exactly one run,
whether they share a hub or each have their own on one database."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import attrs
import pytest

from sync_sdk import Conflict, SyncConfig, SyncHub, SyncRun, SyncStatus, signals
from sync_sdk.events import EventEnvelope

from ..conftest import USER
from ..hubkit import finish, new_config, received, rows

pytestmark = pytest.mark.reliability

THREADS = 8
ROUNDS = 5


def pause(hub: SyncHub, backend: str, url: str, config: SyncConfig) -> None:
    """Set the config's ``isActive`` to false in storage (no operation does it yet)."""
    storage: Any = hub.storage
    if backend == "memory":
        row = storage._state.configs[config.id]
        row.config = attrs.evolve(row.config, is_active=False)
    elif backend.startswith("sqlite"):
        with storage._lock:
            storage.db.conn.execute(
                "UPDATE sync_configs SET is_active = 0 WHERE id = ?", [config.id]
            )
    else:
        import psycopg

        with psycopg.connect(url) as db:
            db.execute("UPDATE sync_configs SET is_active = false WHERE id = %s", [config.id])
    assert hub.get_sync_config(config.id, actor=USER).is_active is False


def test_a_second_trigger_while_one_is_pending_is_a_conflict_naming_it(hub: SyncHub) -> None:
    cfg = new_config(hub)
    run = hub.trigger_sync(sync_config_id=cfg.id, actor=USER)
    before = rows(hub)
    with received() as got:
        with pytest.raises(Conflict) as info:
            hub.trigger_sync(sync_config_id=cfg.id, actor=USER)
        with pytest.raises(Conflict, match=run.id):  # with an idempotency key too
            hub.trigger_sync(sync_config_id=cfg.id, actor=USER, idempotency_key="again")
    assert run.id in str(info.value)
    assert info.value.to_problem()["status"] == 409
    assert rows(hub) == before  # no run, audit record, event or idempotency key
    assert got == []
    # another config is not held back by this one's run
    other = hub.trigger_sync(sync_config_id=new_config(hub, name="Other").id, actor=USER)
    assert other.status is SyncStatus.PENDING


@pytest.mark.parametrize("status", [SyncStatus.RUNNING])
def test_a_running_run_is_active_too(hub: SyncHub, status: SyncStatus) -> None:
    cfg = new_config(hub)
    run = hub.trigger_sync(sync_config_id=cfg.id, actor=USER)
    finish(hub, run, status)
    with pytest.raises(Conflict, match=run.id):
        hub.trigger_sync(sync_config_id=cfg.id, actor=USER)


@pytest.mark.parametrize(
    "status", [SyncStatus.COMPLETED, SyncStatus.FAILED, SyncStatus.CANCELLED], ids=str
)
def test_a_run_that_ended_lets_the_next_one_start(hub: SyncHub, status: SyncStatus) -> None:
    cfg = new_config(hub)
    first = hub.trigger_sync(sync_config_id=cfg.id, actor=USER)
    finish(hub, first, status)
    second = hub.trigger_sync(sync_config_id=cfg.id, actor=USER)
    assert second.id != first.id and second.status is SyncStatus.PENDING
    page = hub.list_sync_runs(sync_config_id=cfg.id, actor=USER)
    assert [(r.id, r.status) for r in page.items] == [
        (second.id, SyncStatus.PENDING),
        (first.id, status),
    ]


def test_a_paused_config_is_a_conflict(hub: SyncHub, backend: str, url: str) -> None:
    cfg = new_config(hub)
    pause(hub, backend, url, cfg)
    before = rows(hub)
    with received() as got, pytest.raises(Conflict, match="paused"):
        hub.trigger_sync(sync_config_id=cfg.id, actor=USER)
    assert rows(hub) == before and got == []


def race(hubs: list[SyncHub], config: SyncConfig) -> tuple[list[SyncRun], list[BaseException]]:
    """``THREADS`` threads, released together, each triggering ``config`` once on its hub."""
    barrier = threading.Barrier(THREADS)
    runs: list[SyncRun] = []
    errors: list[BaseException] = []

    def trigger(n: int) -> None:
        barrier.wait()
        try:
            runs.append(hubs[n % len(hubs)].trigger_sync(sync_config_id=config.id, actor=USER))
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=trigger, args=(n,)) for n in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return runs, errors


def check_rounds(hubs: list[SyncHub], report: Callable[[str], None], what: str) -> None:
    """``ROUNDS`` races on one config: each makes one run, one event, and Conflicts naming it."""
    hub = hubs[0]
    cfg = new_config(hub)
    started: list[EventEnvelope] = []

    def record(sender: object, *, event: EventEnvelope) -> None:
        started.append(event)

    winners: list[SyncRun] = []
    with signals.sync_started.connected_to(record):
        for _ in range(ROUNDS):
            before = rows(hub)
            runs, errors = race(hubs, cfg)
            assert len(runs) == 1, (runs, errors)
            (run,) = runs
            assert len(errors) == THREADS - 1
            assert all(type(e) is Conflict and run.id in str(e) for e in errors), errors
            after = rows(hub)
            assert after["sync_runs"] == before["sync_runs"] + 1
            assert after["outbox"] == before["outbox"] + 1
            assert after["audit"] == before["audit"] + 1
            winners.append(run)
            finish(hub, run)
    assert [e.payload.id for e in started] == [r.id for r in winners]
    page = hub.list_sync_runs(sync_config_id=cfg.id, actor=USER)
    assert page.total == ROUNDS
    assert [r.id for r in page.items] == [r.id for r in reversed(winners)]
    report(
        f"{what}: {ROUNDS} rounds x {THREADS} threads triggering one config -> {ROUNDS} runs,"
        f" {len(started)} started events, {ROUNDS * (THREADS - 1)} conflicts"
    )


def test_threads_sharing_a_hub_make_one_run(
    hub: SyncHub, backend: str, report: Callable[[str], None]
) -> None:
    check_rounds([hub], report, f"{backend}, one hub")


@pytest.mark.parametrize("backend", ["sqlite-file", "postgres"])
def test_threads_with_a_hub_each_on_one_database_make_one_run(
    url: str, backend: str, report: Callable[[str], None]
) -> None:
    hubs = [SyncHub(url) for _ in range(THREADS)]
    try:
        check_rounds(hubs, report, f"{backend}, {THREADS} hubs")
    finally:
        for hub in hubs:
            hub.close()
