"""The pure-Python backend (``memory://``): public API, for tests and for apps that need no disk.

Transactions are real: a unit of work stages its writes and applies them all at ``commit()``,
under the store's lock, or none of them. Nothing survives the process.

    >>> from sync_sdk import SyncHub
    >>> hub = SyncHub("memory://")

.. versionadded:: 0.1.0
"""

from __future__ import annotations

import threading
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import datetime
from typing import Any

import attrs

from sync_sdk.errors import StorageError
from sync_sdk.models import SyncConfig
from sync_sdk.records import AuditRecord, OutboxEvent
from sync_sdk.storage.base import (
    AuditRepository,
    ConfigRepository,
    IdempotencyKeyTaken,
    OutboxRepository,
    config_id_taken,
)
from sync_sdk.storage.tables import MemoryTable, MemoryTables, Table

__all__ = ["MemoryStorage"]

# The config fields that change after creation (the SQL backends' list too)
_UPDATABLE = frozenset({"name", "schedule_enabled", "schedule_cron", "is_active", "last_sync_at"})


@attrs.define
class _Row:
    config: SyncConfig
    org_id: str
    idempotency_key: str | None
    request_hash: str | None


class _State:
    def __init__(self) -> None:
        self.configs: dict[str, _Row] = {}
        self.by_org: dict[str, list[str]] = {}  # config ids of each org, in insertion order
        self.idempotency: dict[tuple[str, str], str] = {}
        self.audit: list[AuditRecord] = []
        self.audit_by_org: dict[str, list[AuditRecord]] = {}
        self.audit_by_subject: dict[tuple[str, str], list[AuditRecord]] = {}  # (org, subject)
        self.outbox: dict[str, OutboxEvent] = {}
        self.tables = MemoryTables()


class _Configs(ConfigRepository):
    def __init__(self, uow: _MemoryUnitOfWork) -> None:
        self._uow = uow

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
        uow = self._uow
        for config in configs:
            if config.id in uow.state.configs or config.id in uow.staged_ids:
                raise config_id_taken(config.id)
            if idempotency_key is not None:
                key = (org_id, idempotency_key)
                if key in uow.state.idempotency or key in uow.staged_keys:
                    raise IdempotencyKeyTaken(idempotency_key)
                uow.staged_keys.add(key)
            uow.staged_ids.add(config.id)
            uow.rows.append(_Row(config, org_id, idempotency_key, request_hash))

    def get(self, org_id: str, config_id: str) -> SyncConfig | None:
        row = self._uow.state.configs.get(config_id)
        return row.config if row is not None and row.org_id == org_id else None

    def update(self, org_id: str, config_id: str, changes: Mapping[str, object]) -> bool:
        state = self._uow.state
        row = state.configs.get(config_id)
        if row is None or row.org_id != org_id:
            return False
        unknown = set(changes) - _UPDATABLE
        if unknown:
            raise KeyError(f"sync config field {min(unknown)!r} does not change after creation")
        before = row.config
        fields: dict[str, Any] = dict(changes)
        row.config = attrs.evolve(before, **fields)

        def undo() -> None:
            row.config = before

        state.tables.undo.append(undo)  # undone by a rollback, as the entity tables are
        return True

    def list(self, org_id: str, *, limit: int, offset: int) -> list[SyncConfig]:
        state = self._uow.state
        ids = state.by_org.get(org_id, [])[offset : offset + limit]
        return [state.configs[config_id].config for config_id in ids]

    def count(self, org_id: str | None = None) -> int:
        state = self._uow.state
        return len(state.configs) if org_id is None else len(state.by_org.get(org_id, ()))

    def find_by_idempotency_key(self, org_id: str, key: str) -> tuple[SyncConfig, str] | None:
        config_id = self._uow.state.idempotency.get((org_id, key))
        if config_id is None:
            return None
        row = self._uow.state.configs[config_id]
        return row.config, row.request_hash or ""


class _Audit(AuditRepository):
    def __init__(self, uow: _MemoryUnitOfWork) -> None:
        self._uow = uow

    def add_many(self, records: Sequence[AuditRecord]) -> None:
        self._uow.audit_records.extend(records)

    def list(
        self,
        org_id: str | None,
        *,
        subject_id: str | None = None,
        limit: int | None = None,
        offset: int = 0,
    ) -> list[AuditRecord]:
        state = self._uow.state
        if org_id is None:
            records = state.audit
            if subject_id is not None:
                records = [r for r in records if r.subject_id == subject_id]
        elif subject_id is None:
            records = state.audit_by_org.get(org_id, [])
        else:
            records = state.audit_by_subject.get((org_id, subject_id), [])
        return records[offset : None if limit is None else offset + limit]

    def count(self) -> int:
        return len(self._uow.state.audit)


class _Outbox(OutboxRepository):
    def __init__(self, uow: _MemoryUnitOfWork) -> None:
        self._uow = uow

    def add_many(self, events: Sequence[OutboxEvent]) -> None:
        self._uow.events.extend(events)

    def mark_delivered(self, event_ids: Sequence[str], delivered_at: datetime) -> None:
        self._uow.delivered.extend(event_ids)

    def claim_pending(
        self, limit: int, *, now: datetime, lease_until: datetime
    ) -> list[OutboxEvent]:
        staged = set(self._uow.delivered)
        pending = (
            e
            for e in self._uow.state.outbox.values()
            if not e.delivered
            and e.id not in staged
            and (e.claimed_until is None or e.claimed_until <= now)
        )
        claimed = [e for _, e in zip(range(limit), pending, strict=False)]
        self._uow.leases.extend((e.id, lease_until) for e in claimed)
        return claimed

    def release(self, event_ids: Sequence[str]) -> None:
        self._uow.leases.extend((i, None) for i in event_ids)

    def list(self) -> list[OutboxEvent]:
        return list(self._uow.state.outbox.values())

    def count(self, *, pending_only: bool = False) -> int:
        events = self._uow.state.outbox.values()
        return sum(1 for e in events if not pending_only or not e.delivered)


class _MemoryUnitOfWork:
    def __init__(self, state: _State) -> None:
        self.state = state
        self.rows: list[_Row] = []
        self.staged_ids: set[str] = set()
        self.staged_keys: set[tuple[str, str]] = set()
        self.audit_records: list[AuditRecord] = []
        self.events: list[OutboxEvent] = []
        self.delivered: list[str] = []
        self.leases: list[tuple[str, datetime | None]] = []
        self.configs = _Configs(self)
        self.audit = _Audit(self)
        self.outbox = _Outbox(self)

    def table(self, table: Table[Any]) -> MemoryTable[Any]:
        return self.state.tables.repository(table)

    def commit(self) -> None:
        state = self.state
        state.tables.commit()
        for row in self.rows:
            state.configs[row.config.id] = row
            state.by_org.setdefault(row.org_id, []).append(row.config.id)
            if row.idempotency_key is not None:
                state.idempotency[(row.org_id, row.idempotency_key)] = row.config.id
        state.audit.extend(self.audit_records)
        for record in self.audit_records:
            state.audit_by_org.setdefault(record.org_id, []).append(record)
            subject = (record.org_id, record.subject_id)
            state.audit_by_subject.setdefault(subject, []).append(record)
        for event in self.events:
            state.outbox[event.id] = event
        for event_id, until in self.leases:
            claimed = state.outbox[event_id]
            state.outbox[event_id] = attrs.evolve(claimed, claimed_until=until)
        for event_id in self.delivered:
            stored = state.outbox.get(event_id)
            if stored is not None and not stored.delivered:
                state.outbox[event_id] = attrs.evolve(stored, delivered=True)
        self.rollback()

    def rollback(self) -> None:
        self.state.tables.rollback()
        self.rows = []
        self.staged_ids = set()
        self.staged_keys = set()
        self.audit_records = []
        self.events = []
        self.delivered = []
        self.leases = []


class MemoryStorage:
    """Everything in Python dicts, one lock; safe to share between threads."""

    url = "memory://"

    def __init__(self) -> None:
        self._state = _State()
        self._lock = threading.RLock()
        self._closed = False

    @contextmanager
    def unit_of_work(self, *, write: bool = True) -> Iterator[_MemoryUnitOfWork]:
        with self._lock:
            if self._closed:
                raise StorageError("storage is closed")
            uow = _MemoryUnitOfWork(self._state)
            try:
                yield uow
            finally:
                uow.rollback()

    def ensure_tables(self, tables: Sequence[Table[Any]]) -> None:
        """Nothing to create: a table's dict appears on first use."""

    def close(self) -> None:
        self._closed = True

    def __repr__(self) -> str:
        return "MemoryStorage()"
