"""A write that fails at any step of the create transaction leaves no trace and stops nothing."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from sync_sdk import StorageError, SyncHub, signals
from sync_sdk.events import EventEnvelope
from sync_sdk.storage import Storage, UnitOfWork, open_storage

from ..conftest import BACKENDS, USER, VALID_INPUT, counts, storage_url
from ..hubkit import CONNECTION, CREDENTIALS, SECRET_KEY, new_config, received, rows

pytestmark = pytest.mark.reliability

STEPS = ("config", "audit", "outbox", "commit")


class InjectedFault(StorageError):
    """What the faulty storage raises: a StorageError, as a failing driver gives."""


class FaultyStorage:
    """A backend wrapper that fails once at the step named by ``fail_at``.

    A repository write fails *after* the real write (the row is in the transaction and must be
    rolled back); ``commit`` fails before the real commit.
    """

    def __init__(self, inner: Storage) -> None:
        self.inner = inner
        self.url = inner.url
        self.fail_at: str | None = None
        self.faults = 0

    def check(self, step: str) -> None:
        if self.fail_at == step:
            self.fail_at = None
            self.faults += 1
            raise InjectedFault(f"injected fault at {step}")

    @contextmanager
    def unit_of_work(self, *, write: bool = True) -> Iterator[_FaultyUnitOfWork]:
        with self.inner.unit_of_work(write=write) as uow:
            yield _FaultyUnitOfWork(uow, self)

    def ensure_tables(self, tables: Any) -> None:
        self.inner.ensure_tables(tables)

    def close(self) -> None:
        self.inner.close()


class _FaultyRepository:
    def __init__(self, inner: Any, step: str, storage: FaultyStorage) -> None:
        self._inner, self._step, self._storage = inner, step, storage

    def __getattr__(self, name: str) -> Any:
        method = getattr(self._inner, name)
        if not name.startswith("add"):  # add, add_many: the writes of a create
            return method

        def write(*args: Any, **kwargs: Any) -> Any:
            result = method(*args, **kwargs)
            self._storage.check(self._step)
            return result

        return write


class _FaultyUnitOfWork:
    def __init__(self, inner: UnitOfWork, storage: FaultyStorage) -> None:
        self._inner, self._storage = inner, storage
        self.configs = _FaultyRepository(inner.configs, "config", storage)
        self.audit = _FaultyRepository(inner.audit, "audit", storage)
        self.outbox = _FaultyRepository(inner.outbox, "outbox", storage)

    def table(self, table: Any) -> Any:
        return _FaultyRepository(self._inner.table(table), table.name, self._storage)

    def commit(self) -> None:
        self._storage.check("commit")
        self._inner.commit()

    def rollback(self) -> None:
        self._inner.rollback()


@pytest.mark.parametrize("backend", BACKENDS)
def test_a_fault_at_any_write_step_leaves_nothing(
    backend: str, tmp_path: Path, report: Callable[[str], None]
) -> None:
    storage = FaultyStorage(open_storage(storage_url(backend, tmp_path)))
    received: list[EventEnvelope] = []
    hub = SyncHub(storage)  # type: ignore[arg-type]
    with signals.sync_config_created.connected_to(
        lambda sender, event: received.append(event), sender=hub
    ):
        for n, step in enumerate(STEPS):
            # a good create first: its "delivered" mark rides on the failing transaction
            good = hub.create_sync_config({**VALID_INPUT, "name": f"good {n}"}, actor=USER)
            before = counts(hub)
            storage.fail_at = step
            with pytest.raises(StorageError, match=f"injected fault at {step}"):
                hub.create_sync_config({**VALID_INPUT, "name": f"failed {n}"}, actor=USER)
            assert counts(hub) == before  # nothing of the failed create was written
            assert [e.payload for e in received][-1] == good  # and nothing was published
            names = [c.name for c in hub.list_sync_configs(actor=USER, limit=100).items]
            assert f"failed {n}" not in names
        last = hub.create_sync_config({**VALID_INPUT, "name": "after"}, actor=USER)
    hub.close()
    assert storage.faults == len(STEPS)
    assert [e.payload.name for e in received] == [*(f"good {n}" for n in range(4)), "after"]
    assert last == received[-1].payload
    with storage.inner.unit_of_work(write=False) as uow:
        assert uow.configs.count() == uow.audit.count() == uow.outbox.count() == len(STEPS) + 1
        # the marks of the failed transactions were kept and written later: no event is
        # left to go out a second time
        assert uow.outbox.count(pending_only=True) == 0
    storage.close()
    report(
        f"{storage.faults} faults ({', '.join(STEPS)}) -> 0 rows and 0 events from failed"
        f" creates; {len(received)} events from the {len(STEPS) + 1} good ones"
    )


# The write steps of each command of the pipeline, in the order it takes them (the idempotency
# key's row included: every call below gives one), then the commit.
COMMAND_STEPS = {
    "trigger_sync": ("sync_runs", "audit", "outbox", "idempotency_keys", "commit"),
    "create_connection": ("connections", "audit", "outbox", "idempotency_keys", "commit"),
}
EVENT_OF = {
    "trigger_sync": "integration.sync.started",
    "create_connection": "integration.connection.created",
}


@pytest.mark.parametrize("command", list(COMMAND_STEPS))
@pytest.mark.parametrize("backend", BACKENDS)
def test_a_fault_at_any_write_step_of_a_command_leaves_nothing(
    backend: str, command: str, tmp_path: Path, report: Callable[[str], None]
) -> None:
    storage = FaultyStorage(open_storage(storage_url(backend, tmp_path)))
    hub = SyncHub(storage, secret_key=SECRET_KEY)  # type: ignore[arg-type]
    steps = COMMAND_STEPS[command]

    def call(n: int, what: str) -> Any:
        if command == "trigger_sync":
            target = new_config(hub, name=f"{what} {n}")
            return hub.trigger_sync(
                sync_config_id=target.id, actor=USER, idempotency_key=f"{what}-{n}"
            )
        return hub.create_connection(
            {**CONNECTION, "name": f"{what} {n}", "credentials": CREDENTIALS},
            actor=USER,
            idempotency_key=f"{what}-{n}",
        )

    with received() as got:
        for n, step in enumerate(steps):
            good = call(n, "good")  # its "delivered" mark rides on the failing transaction
            if command == "trigger_sync":
                target = new_config(hub, name=f"failed {n}")
                before = rows(hub)
                storage.fail_at = step
                with pytest.raises(StorageError, match=f"injected fault at {step}"):
                    hub.trigger_sync(
                        sync_config_id=target.id, actor=USER, idempotency_key=f"failed-{n}"
                    )
                assert rows(hub) == before  # no run, audit record, event or key
                assert hub.list_sync_runs(sync_config_id=target.id, actor=USER).total == 0
                # the config is not left with an active run, nor the key taken
                retried = hub.trigger_sync(
                    sync_config_id=target.id, actor=USER, idempotency_key=f"failed-{n}"
                )
                assert hub.list_sync_runs(sync_config_id=target.id, actor=USER).items == [retried]
            else:
                before = rows(hub)
                storage.fail_at = step
                with pytest.raises(StorageError, match=f"injected fault at {step}"):
                    call(n, "failed")
                assert rows(hub) == before
                retried = call(n, "failed")
                assert hub.connection_credentials(retried.id, actor=USER) == CREDENTIALS
            mine = [e.payload for _, e in got if e.key == EVENT_OF[command]]
            assert mine[-2:] == [good, retried]  # none from the fault
    hub.close()
    assert storage.faults == len(steps)
    published = [e for _, e in got if e.key == EVENT_OF[command]]
    assert len(published) == 2 * len(steps)  # a good call and a retry per step
    with storage.inner.unit_of_work(write=False) as uow:
        # every event the hub published was marked delivered; none of a failed call exists
        assert {e.id for e in uow.outbox.list()} == {e.id for _, e in got}
        assert uow.outbox.count(pending_only=True) == 0
    storage.close()
    report(
        f"{command}: {storage.faults} faults ({', '.join(steps)}) -> 0 rows, records and events"
        f" from failed calls; {len(published)} {EVENT_OF[command]} events from good ones"
    )
