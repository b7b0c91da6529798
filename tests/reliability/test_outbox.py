"""The outbox across processes: an event whose process died is delivered by another, and hubs
in several processes redelivering at once never deliver one event twice."""

from __future__ import annotations

import logging
import threading
from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from sync_sdk import SyncHub, signals
from sync_sdk.events import EventEnvelope
from sync_sdk.records import OutboxEvent
from sync_sdk.storage import open_storage

from ..conftest import VALID_INPUT, counts, storage_url
from ..test_storage_contract import write
from .child import USER
from .conftest import spawn

pytestmark = pytest.mark.reliability


@pytest.mark.parametrize("backend", ["sqlite-file", "postgres"])
def test_an_event_whose_process_died_is_delivered_by_another(
    backend: str, tmp_path: Path, report: Callable[[str], None]
) -> None:
    url = storage_url(backend, tmp_path)
    proc = spawn("commit-then-die", url)
    out, err = proc.communicate(timeout=120)
    assert proc.returncode == -9, err  # SIGKILLed in delivery, after the commit
    (event_id,) = out.split()
    received: list[EventEnvelope] = []
    with SyncHub(url) as hub:
        assert counts(hub) == (1, 1, 1)  # committed before the process died
        with signals.sync_config_created.connected_to(
            lambda sender, event: received.append(event), sender=hub
        ):
            assert hub.redeliver_pending() == 1
            assert hub.redeliver_pending() == 0
        (config,) = hub.list_sync_configs(actor=USER).items
    ((event),) = received
    assert event.id == event_id
    assert event.payload == config
    assert (event.actor_id, event.org_id) == (USER.id, USER.org_id)
    report(f"1 process killed after commit -> 1 event redelivered by another process: {event.id}")


@pytest.mark.parametrize("backend", ["sqlite-file", "postgres"])
def test_processes_redelivering_at_once_never_deliver_an_event_twice(
    backend: str, tmp_path: Path, report: Callable[[str], None]
) -> None:
    url = storage_url(backend, tmp_path)
    pending = 200

    def refuse(sender: object, *, event: EventEnvelope) -> None:
        raise RuntimeError("not now")

    events_log = logging.getLogger("sync_sdk.events")
    with SyncHub(url) as hub, signals.sync_config_created.connected_to(refuse, sender=hub):
        events_log.disabled = True  # 200 expected tracebacks
        try:
            for i in range(pending):
                hub.create_sync_config({**VALID_INPUT, "name": f"n{i}"}, actor=USER)
        finally:
            events_log.disabled = False
        with hub.storage.unit_of_work(write=False) as uow:
            assert uow.outbox.count(pending_only=True) == pending
            ids = {e.id for e in uow.outbox.list()}

    out, go = tmp_path / "delivered.txt", tmp_path / "go"
    a, b = tmp_path / "a-delivering", tmp_path / "b-delivering"
    procs = [
        spawn("redeliver", url, str(out), str(go), str(a), str(b)),
        spawn("redeliver", url, str(out), str(go), str(b), str(a)),
    ]
    for proc in procs:
        assert proc.stdout is not None
        assert proc.stdout.readline().strip() == "ready"
    go.touch()
    results = [proc.communicate(timeout=300) for proc in procs]
    assert [proc.returncode for proc in procs] == [0, 0], [err for _, err in results]
    # each process waited in its first delivery until the other was delivering too
    lines = [line.split() for line in out.read_text().splitlines()]
    by_process = Counter(pid for pid, _ in lines)
    delivered = [event_id for _, event_id in lines]
    assert len(by_process) == 2
    assert len(delivered) == len(set(delivered)) == pending  # once each, none twice
    assert set(delivered) == ids
    assert sorted(int(stdout) for stdout, _ in results) == sorted(by_process.values())
    with SyncHub(url) as hub, hub.storage.unit_of_work(write=False) as uow:
        assert uow.outbox.count(pending_only=True) == 0
    report(
        f"2 processes redelivering {pending} pending events at once ->"
        f" {'+'.join(str(n) for n in sorted(by_process.values()))} delivered, 0 twice"
    )


def test_a_claim_skips_events_another_transaction_is_claiming(
    tmp_path: Path, report: Callable[[str], None]
) -> None:
    # Two stores (two pools, as two processes have): while one holds its claim transaction
    # open, the other claims the next events at once, neither waiting nor taking the same.
    url = storage_url("postgres", tmp_path)
    now = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)
    first, second = open_storage(url), open_storage(url)
    for i in range(10):
        write(first, i, at=now - timedelta(seconds=10 - i))  # ten pending events, in order
    lease = now + timedelta(minutes=1)
    with first.unit_of_work() as uow:
        mine = uow.outbox.claim_pending(5, now=now, lease_until=lease)
        theirs: list[OutboxEvent] = []

        def claim() -> None:
            with second.unit_of_work() as other:
                theirs.extend(other.outbox.claim_pending(5, now=now, lease_until=lease))
                other.commit()

        thread = threading.Thread(target=claim)
        thread.start()
        thread.join(timeout=60)
        blocked = thread.is_alive()
        uow.commit()
    thread.join()
    assert not blocked, "the second claim waited for the first transaction's row locks"
    assert [e.id for e in mine] == [f"evt_{i}" for i in range(5)]
    assert [e.id for e in theirs] == [f"evt_{i}" for i in range(5, 10)]
    first.close()
    second.close()
    report("2 open claim transactions on 10 events -> 5 + 5 claimed, 0 shared, 0 waits")
