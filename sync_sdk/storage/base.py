"""The storage port: a unit of work holding config, audit and outbox repositories.

The hub knows no SQL; it talks to any backend through these protocols (cosmicpython's
repository + unit of work). A unit of work is one transaction: nothing it wrote is visible to
others, or durable, until ``commit()``; leaving its ``with`` block without committing rolls back::

    with storage.unit_of_work() as uow:
        uow.configs.add(config, org_id="org-1", ...)
        uow.audit.add(record)
        uow.outbox.add(event)
        uow.commit()

Backends raise :class:`~sync_sdk.errors.StorageError` for driver failures,
:class:`IdempotencyKeyTaken` when another transaction already holds an idempotency key, and
the :class:`~sync_sdk.errors.Conflict` of :func:`config_id_taken` when a config id is stored
already (told by the primary key, not by a query before each insert).

.. versionadded:: 0.1.0
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from contextlib import AbstractContextManager
from datetime import datetime
from typing import Any, Protocol, TypeVar

from sync_sdk.errors import Conflict
from sync_sdk.models import SyncConfig
from sync_sdk.records import AuditRecord, OutboxEvent
from sync_sdk.storage.tables import Table, TableRepository

T = TypeVar("T")

__all__ = [
    "AuditRepository",
    "ConfigRepository",
    "IdempotencyKeyTaken",
    "OutboxRepository",
    "Storage",
    "UnitOfWork",
    "config_id_taken",
]


class IdempotencyKeyTaken(Exception):
    """Raised by ``configs.add`` when (org, idempotency key) is already stored."""


def config_id_taken(config_id: str | None = None, *, detail: str = "") -> Conflict:
    """The error for a config id that is stored already, or twice in one batch: the hub's
    ``id_factory`` returned a used id. ``config_id`` when the backend can tell which one, and
    the driver's ``detail`` when it names it.

    A :class:`~sync_sdk.errors.Conflict` (409) rather than a ``StorageError`` (503): the store
    works, and trying again with the same id fails again.
    """
    which = "a sync config id" if config_id is None else f"sync config id {config_id!r}"
    message = f"{which} is already taken: the hub's id_factory must return unused ids"
    return Conflict(f"{message} ({detail})" if detail else message)


class ConfigRepository(Protocol):
    """Backends subclass the repository protocols: ``add`` comes from ``add_many``."""

    def add(
        self,
        config: SyncConfig,
        *,
        org_id: str,
        created_by: str,
        created_at: datetime,
        idempotency_key: str | None = None,
        request_hash: str | None = None,
    ) -> None:
        self.add_many(
            (config,),
            org_id=org_id,
            created_by=created_by,
            created_at=created_at,
            idempotency_key=idempotency_key,
            request_hash=request_hash,
        )

    def add_many(
        self,
        configs: Sequence[SyncConfig],
        *,
        org_id: str,
        created_by: str,
        created_at: datetime,
        idempotency_key: str | None = None,
        request_hash: str | None = None,
    ) -> None:
        """Add several configs of one org at once (a batch is written in one statement where
        the driver allows it)."""
        ...

    def get(self, org_id: str, config_id: str) -> SyncConfig | None: ...

    def update(self, org_id: str, config_id: str, changes: Mapping[str, object]) -> bool:
        """Change fields of a config that change after creation (``name``,
        ``schedule_enabled``, ``schedule_cron``, ``is_active``, ``last_sync_at``); whether the
        org has the config. ``KeyError`` for any other field."""
        ...

    def list(self, org_id: str, *, limit: int, offset: int) -> list[SyncConfig]: ...

    def count(self, org_id: str | None = None) -> int: ...

    def find_by_idempotency_key(self, org_id: str, key: str) -> tuple[SyncConfig, str] | None:
        """The config stored under ``key`` and the hash of the request that created it."""
        ...


class AuditRepository(Protocol):
    def add(self, record: AuditRecord) -> None:
        self.add_many((record,))

    def add_many(self, records: Sequence[AuditRecord]) -> None: ...

    def list(
        self,
        org_id: str | None,
        *,
        subject_id: str | None = None,
        limit: int | None = None,
        offset: int = 0,
    ) -> list[AuditRecord]:
        """Audit records of ``org_id`` in the order written (``None``: every org), only those
        of ``subject_id`` when given, at most ``limit`` (``None``: all) from ``offset``.

        The SQL backends index ``(org_id, subject_id)``: one subject's records are found
        without reading the rest of its org.
        """
        ...

    def count(self) -> int: ...


class OutboxRepository(Protocol):
    def add(self, event: OutboxEvent) -> None:
        self.add_many((event,))

    def add_many(self, events: Sequence[OutboxEvent]) -> None: ...

    def mark_delivered(self, event_ids: Sequence[str], delivered_at: datetime) -> None:
        """Mark events delivered (they leave the pending ones). ``delivered_at`` is when: a
        backend may keep it (PostgreSQL does, in its ``delivered_at`` column) or not (SQLite
        keeps only which events are pending)."""
        ...

    def claim_pending(
        self, limit: int, *, now: datetime, lease_until: datetime
    ) -> list[OutboxEvent]:
        """Claim up to ``limit`` undelivered events, oldest first, that nobody holds a lease on
        at ``now``: their lease runs to ``lease_until`` once this unit of work commits, so that
        no other process delivers them meanwhile."""
        ...

    def release(self, event_ids: Sequence[str]) -> None:
        """Drop the lease on events that could not be delivered, for the next attempt."""
        ...

    def list(self) -> list[OutboxEvent]: ...

    def count(self, *, pending_only: bool = False) -> int: ...


class UnitOfWork(Protocol):
    @property
    def configs(self) -> ConfigRepository: ...

    @property
    def audit(self) -> AuditRepository: ...

    @property
    def outbox(self) -> OutboxRepository: ...

    def table(self, table: Table[Any]) -> TableRepository[Any]:
        """The rows of an entity table (see :mod:`sync_sdk.storage.tables`)."""
        ...

    def commit(self) -> None: ...

    def rollback(self) -> None: ...


class Storage(Protocol):
    """A storage backend. ``url`` is safe to log (credentials redacted)."""

    url: str

    def unit_of_work(self, *, write: bool = True) -> AbstractContextManager[UnitOfWork]:
        """Begin a transaction (``write=False``: a read-only one)."""
        ...

    def ensure_tables(self, tables: Sequence[Table[Any]]) -> None:
        """Create those entity tables the store lacks (the hub calls it for its operations)."""
        ...

    def close(self) -> None: ...
