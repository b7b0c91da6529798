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
        return _FaultyRepository(self._inner.table(table), "table", self._storage)

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
