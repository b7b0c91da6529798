"""One hub shared by threads, and two processes on one SQLite file: nothing lost, no error."""

from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path

import pytest

from sync_sdk import Actor, SyncConfig, SyncHub, signals
from sync_sdk.events import EventEnvelope

from ..conftest import BACKENDS, USER, VALID_INPUT, counts, storage_url
from .conftest import spawn

pytestmark = pytest.mark.reliability

THREADS = 8
CREATES_PER_THREAD = 500


def run_threads(count: int, work: Callable[[int], None]) -> list[BaseException]:
    """Run ``work(n)`` in ``count`` threads released together; the exceptions they raised."""
    barrier = threading.Barrier(count)
    errors: list[BaseException] = []

    def run(n: int) -> None:
        barrier.wait()
        try:
            work(n)
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(n,)) for n in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return errors


@pytest.mark.parametrize("backend", ["sqlite-file", "postgres"])
def test_threads_share_one_hub(backend: str, tmp_path: Path, report: Callable[[str], None]) -> None:
    url = storage_url(backend, tmp_path)
    received: list[str] = []

    def record(sender: object, *, event: EventEnvelope) -> None:
        received.append(event.id)  # list.append is atomic: no lock needed in a receiver

    actors = [Actor(id=f"user-{n}", org_id=f"org-{n}") for n in range(THREADS)]
    with SyncHub(url) as hub, signals.sync_config_created.connected_to(record, sender=hub):

        def work(n: int) -> None:
            for i in range(CREATES_PER_THREAD):
                hub.create_sync_config({**VALID_INPUT, "name": f"t{n} #{i}"}, actor=actors[n])

        errors = run_threads(THREADS, work)
        assert errors == []
        total = THREADS * CREATES_PER_THREAD
        assert counts(hub) == (total, total, total)
        for actor in actors:
            page = hub.list_sync_configs(actor=actor, limit=1000)
            assert page.total == CREATES_PER_THREAD
            assert [c.name for c in page.items] == [
                f"t{actor.id[5:]} #{i}" for i in range(CREATES_PER_THREAD)
            ]  # each thread's configs in the order it created them
    assert len(received) == len(set(received)) == total
    with SyncHub(url) as hub:  # every event was marked delivered, none goes out again
        with hub.storage.unit_of_work(write=False) as uow:
            assert {e.id for e in uow.outbox.list()} == set(received)
            assert uow.outbox.count(pending_only=True) == 0
        assert hub.redeliver_pending() == 0
    report(
        f"{THREADS} threads x {CREATES_PER_THREAD} creates -> {total} configs,"
        f" {total} audit records, {len(received)} events delivered, {len(errors)} errors"
    )


@pytest.mark.parametrize("backend", BACKENDS)
def test_threads_in_one_org_keep_its_total_exact(
    backend: str, tmp_path: Path, report: Callable[[str], None]
) -> None:
    # The org's total is a maintained count (sharded on PostgreSQL): concurrent writers of one
    # org, single creates and batches mixed, must leave it equal to the rows.
    per_thread = 60
    with SyncHub(storage_url(backend, tmp_path)) as hub:

        def work(n: int) -> None:
            for _ in range(per_thread // 3):
                hub.create_sync_config(VALID_INPUT, actor=USER)
                hub.create_sync_configs([VALID_INPUT, VALID_INPUT], actor=USER)

        assert run_threads(THREADS, work) == []
        total = THREADS * per_thread
        assert hub.list_sync_configs(actor=USER).total == total
        with hub.storage.unit_of_work(write=False) as uow:
            assert uow.configs.count(USER.org_id) == uow.configs.count() == total
    report(f"{THREADS} threads in one org -> total {total} == {total} rows")


@pytest.mark.parametrize("backend", BACKENDS)
def test_threads_racing_on_one_idempotency_key_create_one_config(
    backend: str, tmp_path: Path, report: Callable[[str], None]
) -> None:
    rounds = 10
    received: list[EventEnvelope] = []
    with SyncHub(storage_url(backend, tmp_path)) as hub:
        with signals.sync_config_created.connected_to(
            lambda sender, event: received.append(event), sender=hub
        ):
            for r in range(rounds):
                results: list[SyncConfig] = []

                def work(
                    n: int, key: str = f"key-{r}", results: list[SyncConfig] = results
                ) -> None:
                    results.append(
                        hub.create_sync_config(VALID_INPUT, actor=USER, idempotency_key=key)
                    )

                assert run_threads(THREADS, work) == []
                assert len(results) == THREADS
                assert len({c.id for c in results}) == 1  # every caller got the one config
        assert counts(hub) == (rounds, rounds, rounds)
    assert len(received) == rounds
    report(
        f"{rounds} rounds x {THREADS} threads on one key -> {rounds} configs,"
        f" {len(received)} events"
    )


def test_two_processes_write_one_sqlite_file(tmp_path: Path, report: Callable[[str], None]) -> None:
    url = storage_url("sqlite-file", tmp_path)
    go = tmp_path / "go"
    per_process = 300
    procs = [spawn("create-n", url, str(per_process), org, str(go)) for org in ("org-a", "org-b")]
    go.touch()  # both open the (new) file and write at once
    outputs = [proc.communicate(timeout=300) for proc in procs]
    stderr = "\n".join(err for _, err in outputs)
    assert "database is locked" not in stderr
    assert [proc.returncode for proc in procs] == [0, 0], stderr
    assert [out.strip() for out, _ in outputs] == ["done", "done"]
    with SyncHub(url) as hub:
        assert counts(hub) == (2 * per_process,) * 3
        for org in ("org-a", "org-b"):
            page = hub.list_sync_configs(actor=Actor(id="user", org_id=org), limit=1000)
            assert [c.name for c in page.items] == [f"{org} {i}" for i in range(per_process)]
    report(f"2 processes x {per_process} creates -> {2 * per_process} configs, 0 errors")
