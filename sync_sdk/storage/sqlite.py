"""The embedded default backend: SQLite through sqlite-utils.

``sqlite:///configs.db`` is a file (relative path; ``sqlite:////abs/configs.db`` for an absolute
one), ``sqlite://`` or ``sqlite:///:memory:`` a private in-memory database. A file runs in WAL
mode with ``synchronous=FULL`` by default, so that a committed config survives a power cut
(``?synchronous=NORMAL`` trades that for speed), foreign keys on and a 30 s busy timeout.

    >>> from sync_sdk import SyncHub
    >>> hub = SyncHub("sqlite:///:memory:")

The schema is versioned with sqlite-utils ``Migrations``. Opening a file reads which migrations
it has, and takes the write lock only to apply missing ones, so a file that another process is
writing to opens at once; a file migrated by a newer sync_sdk (a migration this version does
not know) is refused with a :class:`~sync_sdk.errors.StorageError`. Each write transaction
first checks that the file at the path is still the one opened: a file deleted or replaced under
an open storage raises a ``StorageError`` rather than writing to the orphaned file, where
nothing would ever read it again. Write transactions start with
``BEGIN IMMEDIATE`` rather than sqlite-utils' deferred ``db.atomic()``: a deferred transaction
that reads and then writes can fail at once with "database is locked" when another process
writes, whatever the busy timeout; taking the write lock first makes it wait instead.

.. versionadded:: 0.1.0
"""

from __future__ import annotations

import functools
import json
import operator
import os
import sqlite3
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from types import TracebackType
from typing import Any

import sqlite_utils
from sqlite_utils.migrations import Migrations

from sync_sdk.errors import ConfigurationError, ConfigurationTypeError, StorageError
from sync_sdk.models import FieldMapping, SyncConfig, SyncDirection, converter
from sync_sdk.records import AuditRecord, OutboxEvent
from sync_sdk.storage.base import (
    AuditRepository,
    ConfigRepository,
    IdempotencyKeyTaken,
    OutboxRepository,
    config_id_taken,
)
from sync_sdk.storage.tables import (
    SqlDialect,
    SqlTable,
    Table,
    UniqueViolation,
    ddl,
    iso_time,
    json_text,
)

__all__ = ["DIALECT", "SYNCHRONOUS_MODES", "SqliteStorage", "migrations"]

#: How entity tables (:mod:`sync_sdk.storage.tables`) are spelled in SQLite.
DIALECT = SqlDialect(
    name="sqlite",
    placeholder="?",
    types={
        "text": "TEXT",
        "bool": "INTEGER",
        "int": "INTEGER",
        "time": "TEXT",
        "enum": "TEXT",
        "json": "TEXT",
    },
    order_column="rowid",
    identity="",
    encode_json=json_text,
    decode_json=json.loads,
    encode_time=iso_time,
    decode_time=datetime.fromisoformat,
    bool_param=int,
)

SYNCHRONOUS_MODES = ("OFF", "NORMAL", "FULL", "EXTRA")

migrations = Migrations("sync_sdk")


@migrations(name="0001_initial")
def _initial(db: sqlite_utils.Database) -> None:
    db.execute(
        """CREATE TABLE sync_configs (
            id TEXT PRIMARY KEY,
            org_id TEXT NOT NULL,
            integration_id TEXT NOT NULL,
            connection_id TEXT NOT NULL,
            name TEXT NOT NULL,
            direction TEXT NOT NULL CHECK (direction IN ('INBOUND', 'OUTBOUND', 'BIDIRECTIONAL')),
            source_object TEXT NOT NULL,
            target_object TEXT NOT NULL,
            schedule_enabled INTEGER NOT NULL CHECK (schedule_enabled IN (0, 1)),
            schedule_cron TEXT,
            is_active INTEGER NOT NULL CHECK (is_active IN (0, 1)),
            last_sync_at TEXT,
            field_mappings TEXT NOT NULL DEFAULT '[]',
            created_by TEXT NOT NULL,
            created_at TEXT NOT NULL,
            idempotency_key TEXT,
            request_hash TEXT
        )"""
    )
    db.execute("CREATE INDEX sync_configs_org ON sync_configs (org_id)")
    db.execute(
        "CREATE UNIQUE INDEX sync_configs_idempotency ON sync_configs (org_id, idempotency_key)"
        " WHERE idempotency_key IS NOT NULL"
    )
    db.execute(
        """CREATE TABLE audit_records (
            seq INTEGER PRIMARY KEY,
            key TEXT NOT NULL,
            actor_id TEXT NOT NULL,
            org_id TEXT NOT NULL,
            subject_id TEXT NOT NULL REFERENCES sync_configs (id),
            event_id TEXT NOT NULL,
            occurred_at TEXT NOT NULL
        )"""
    )
    db.execute("CREATE INDEX audit_records_org ON audit_records (org_id)")
    db.execute(
        """CREATE TABLE outbox_events (
            id TEXT PRIMARY KEY,
            key TEXT NOT NULL,
            version TEXT NOT NULL,
            occurred_at TEXT NOT NULL,
            actor_id TEXT NOT NULL,
            org_id TEXT NOT NULL,
            subject_id TEXT NOT NULL REFERENCES sync_configs (id),
            payload TEXT NOT NULL,
            delivered_at TEXT,
            claimed_until TEXT
        )"""
    )
    db.execute(
        "CREATE INDEX outbox_events_pending ON outbox_events (delivered_at)"
        " WHERE delivered_at IS NULL"
    )


@migrations(name="0002_org_config_counts")
def _org_config_counts(db: sqlite_utils.Database) -> None:
    # An org's total in O(1): list_sync_configs reports it with every page, and counting an
    # org's rows grows with the org (milliseconds at a million configs).
    db.execute(
        """CREATE TABLE org_config_counts (
            org_id TEXT PRIMARY KEY,
            config_count INTEGER NOT NULL CHECK (config_count >= 0)
        )"""
    )
    db.execute(
        "INSERT INTO org_config_counts (org_id, config_count)"
        " SELECT org_id, count(*) FROM sync_configs GROUP BY org_id"
    )
    # Kept by triggers here; migration 0003 replaced them with one upsert per write statement.
    db.execute(
        """CREATE TRIGGER sync_configs_count_insert AFTER INSERT ON sync_configs BEGIN
            INSERT INTO org_config_counts (org_id, config_count) VALUES (NEW.org_id, 1)
            ON CONFLICT (org_id) DO UPDATE SET config_count = config_count + 1;
        END"""
    )
    db.execute(
        """CREATE TRIGGER sync_configs_count_delete AFTER DELETE ON sync_configs BEGIN
            UPDATE org_config_counts SET config_count = config_count - 1
            WHERE org_id = OLD.org_id;
        END"""
    )


@migrations(name="0003_count_configs_per_statement")
def _count_configs_per_statement(db: sqlite_utils.Database) -> None:
    # SQLite triggers run once per row: a batch of 100 configs paid 100 upserts of its org's
    # count (a tenth of its time). The storage now adds a batch's size in one statement.
    db.execute("DROP TRIGGER sync_configs_count_insert")
    db.execute("DROP TRIGGER sync_configs_count_delete")
    db.execute("DELETE FROM org_config_counts")
    db.execute(
        "INSERT INTO org_config_counts (org_id, config_count)"
        " SELECT org_id, count(*) FROM sync_configs GROUP BY org_id"
    )


@migrations(name="0004_outbox_pending")
def _outbox_pending(db: sqlite_utils.Database) -> None:
    # Which events are pending moves to a narrow table of its own, and delivery deletes their
    # rows there. Marking a batch of 100 delivered used to rewrite the 100 wide outbox rows (a
    # dozen pages, with their payloads) that the previous transaction had just written; now it
    # touches the one or two pages of short rows it inserted. The outbox rows stay as written.
    # outbox_events.delivered_at and .claimed_until are no longer written (dropping a column
    # needs SQLite 3.35); the times already there stay as history. No foreign key to the outbox:
    # a pending row is written by the same add_many as its event, in the same transaction, and
    # the check would cost 4% of a batch config (the crash test looks for orphans instead).
    db.execute(
        """CREATE TABLE outbox_pending (
            event_id TEXT PRIMARY KEY,
            claimed_until TEXT
        ) WITHOUT ROWID"""
    )
    db.execute(
        "INSERT INTO outbox_pending (event_id, claimed_until)"
        " SELECT id, claimed_until FROM outbox_events WHERE delivered_at IS NULL"
    )
    db.execute("DROP INDEX outbox_events_pending")


@migrations(name="0005_audit_subject")
def _audit_subject(db: sqlite_utils.Database) -> None:
    # hub.audit_log(subject_id=...) finds one config's records without reading its whole org
    db.execute("CREATE INDEX audit_records_subject ON audit_records (org_id, subject_id)")


@migrations(name="0006_neutral_subjects")
def _neutral_subjects(db: sqlite_utils.Database) -> None:
    # Audit records and outbox events may be about any entity (an integration, a connection, a
    # run), not only a config: drop their foreign keys to sync_configs. SQLite cannot drop a
    # constraint, so each table is rebuilt the documented way (sqlite.org/lang_altertable.html,
    # "other kinds of table schema changes"): new table, copy, drop, rename, indexes again. The
    # copy keeps each row's rowid (audit seq; the outbox's claim order), and outbox_pending,
    # which names events by id, is left as it is. Foreign keys stay on: nothing references
    # these two tables, and the new ones reference nothing.
    tables = {
        "audit_records": """(
            seq INTEGER PRIMARY KEY,
            key TEXT NOT NULL,
            actor_id TEXT NOT NULL,
            org_id TEXT NOT NULL,
            subject_id TEXT NOT NULL,
            event_id TEXT NOT NULL,
            occurred_at TEXT NOT NULL
        )""",
        "outbox_events": """(
            id TEXT PRIMARY KEY,
            key TEXT NOT NULL,
            version TEXT NOT NULL,
            occurred_at TEXT NOT NULL,
            actor_id TEXT NOT NULL,
            org_id TEXT NOT NULL,
            subject_id TEXT NOT NULL,
            payload TEXT NOT NULL,
            delivered_at TEXT,
            claimed_until TEXT
        )""",
    }
    for table, columns in tables.items():
        # the table's own indexes and triggers, to create again (autoindexes have no SQL)
        schema = [
            row[0]
            for row in db.execute(
                "SELECT sql FROM sqlite_master WHERE tbl_name = ? AND type IN ('index', 'trigger')"
                " AND sql IS NOT NULL ORDER BY rowid",
                [table],
            ).fetchall()
        ]
        names = ", ".join(c.name for c in db[table].columns)
        db.execute(f"CREATE TABLE {table}_new {columns}")
        db.execute(
            f"INSERT INTO {table}_new (rowid, {names})"
            f" SELECT rowid, {names} FROM {table} ORDER BY rowid"
        )
        db.execute(f"DROP TABLE {table}")
        db.execute(f"ALTER TABLE {table}_new RENAME TO {table}")
        for sql in schema:
            db.execute(sql)


@migrations(name="0007_idempotency_keys")
def _idempotency_keys(db: sqlite_utils.Database) -> None:
    # Idempotency keys leave the config row for a table of their own, shared by every command
    # (the entity table IDEMPOTENCY_KEYS of sync_sdk.operations.tables, spelled out as it was
    # declared when this migration was written). Each key already stored is copied with the
    # config it created, as the first result a replay returns; the config rows keep their
    # columns, no longer written.
    db.execute(
        "CREATE TABLE IF NOT EXISTS idempotency_keys (org_id text NOT NULL, id TEXT NOT NULL,"
        " operation TEXT NOT NULL, request_hash TEXT NOT NULL, result_json TEXT NOT NULL,"
        " created_at TEXT NOT NULL, PRIMARY KEY (org_id, id))"
    )
    rows = db.execute(
        f"SELECT {_CONFIG_COLUMNS}, org_id, idempotency_key, request_hash, created_at"
        " FROM sync_configs WHERE idempotency_key IS NOT NULL ORDER BY rowid"
    ).fetchall()
    db.conn.executemany(
        "INSERT INTO idempotency_keys (org_id, id, operation, request_hash, result_json,"
        " created_at) VALUES (?, ?, 'integration.syncConfig.create', ?, ?, ?)",
        [
            (row[12], row[13], row[14] or "", config_from_row(row).to_json(), row[15])
            for row in rows
        ],
    )


#: The schedules table as sync_sdk.operations.tables declared SCHEDULES when it was added
#: (tests hold it equal to what ``ddl()`` makes of the declaration).
SCHEDULES_DDL = (
    "CREATE TABLE IF NOT EXISTS sync_schedules (org_id text NOT NULL, id TEXT NOT NULL,"
    " cron TEXT NOT NULL, due_at TEXT, last_slot_at TEXT, PRIMARY KEY (org_id, id))",
    "CREATE INDEX IF NOT EXISTS sync_schedules_due_at ON sync_schedules (due_at)",
)


@migrations(name="0008_sync_schedules")
def _sync_schedules(db: sqlite_utils.Database) -> None:
    # Cron schedules get a table of their own, indexed by their next slot, so that
    # schedule_due reads only the configs that are due. Each config stored with an active
    # schedule gets its row, due at the first slot after its creation (so a slot missed
    # before this version is run once, not replayed).
    from sync_sdk.operations.schedules import next_slot

    for statement in SCHEDULES_DDL:
        db.execute(statement)
    rows = db.execute(
        "SELECT org_id, id, schedule_cron, created_at FROM sync_configs"
        " WHERE schedule_enabled AND is_active AND schedule_cron IS NOT NULL ORDER BY rowid"
    ).fetchall()
    values = []
    for org_id, config_id, cron, created_at in rows:
        due = next_slot(cron, datetime.fromisoformat(created_at))
        values.append((org_id, config_id, cron, None if due is None else iso_time(due)))
    db.conn.executemany(
        "INSERT OR IGNORE INTO sync_schedules (org_id, id, cron, due_at) VALUES (?, ?, ?, ?)",
        values,
    )


_CONFIG_COLUMNS = (
    "id, integration_id, connection_id, name, direction, source_object, target_object,"
    " schedule_enabled, schedule_cron, is_active, last_sync_at, field_mappings"
)
_CONFIG_INSERT = (
    "INSERT INTO sync_configs (id, org_id, integration_id, connection_id, name, direction,"
    " source_object, target_object, schedule_enabled, schedule_cron, is_active, last_sync_at,"
    " field_mappings, created_by, created_at, idempotency_key, request_hash)"
    " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
)
_AUDIT_INSERT = (
    "INSERT INTO audit_records (key, actor_id, org_id, subject_id, event_id, occurred_at)"
    " VALUES (?, ?, ?, ?, ?, ?)"
)
_OUTBOX_INSERT = (
    "INSERT INTO outbox_events (id, key, version, occurred_at, actor_id, org_id, subject_id,"
    " payload) VALUES (?, ?, ?, ?, ?, ?, ?, ?)"
)
_PENDING_INSERT = "INSERT INTO outbox_pending (event_id) VALUES (?)"
_COUNT_CONFIGS = (
    "INSERT INTO org_config_counts (org_id, config_count) VALUES (?, ?)"
    " ON CONFLICT (org_id) DO UPDATE SET config_count = config_count + excluded.config_count"
)
_MARK_DELIVERED = "DELETE FROM outbox_pending WHERE event_id = ?"
# an outbox row with its pending state: delivered when it has no outbox_pending row
_OUTBOX_COLUMNS = (
    "o.id, o.key, o.version, o.occurred_at, o.actor_id, o.org_id, o.subject_id, o.payload,"
    " p.event_id IS NULL, p.claimed_until"
)


class _IsoTimes:
    """``isoformat()`` of the last datetime seen: one create stamps three rows with one time."""

    __slots__ = ("_iso", "_last")

    def __init__(self) -> None:
        self._last: datetime | None = None
        self._iso = ""

    def __call__(self, value: datetime) -> str:
        if value is not self._last:
            self._last = value
            self._iso = value.isoformat()
        return self._iso


# Rows per multi-row INSERT: at most 32 x 17 = 544 variables, under SQLite's historical limit of
# 999; a batch is sent as full chunks, then the rest as chunks of 16, 8, 4, 2 and 1 rows.
_CHUNK = 32


_Row = tuple[Any, ...]
_Getter = Callable[[_Row], _Row]
_Shape = tuple[int, tuple[bool, ...], tuple[bool, ...]]  # rows, None-mask, shared-mask


def _getter(columns: Sequence[int]) -> _Getter:
    """A function returning the values of ``columns`` of a row, as a tuple."""
    if len(columns) > 1:
        return operator.itemgetter(*columns)
    if columns:
        (only,) = columns
        return lambda row: (row[only],)
    return lambda row: ()


class _Insert:
    """An ``INSERT ... VALUES (?, ...)`` sent as few multi-row statements as fixed chunk sizes
    allow, binding as few values as the chunk's rows allow.

    One multi-row INSERT costs far less than ``executemany`` stepping a statement once per row
    (a third less per row). In each chunk, a ``nullable`` column that is None in every row is
    written as a ``NULL`` literal (sqlite3 binds None through its adapter lookup, which raises
    and clears an AttributeError per value), and a ``shared`` column with one value in every row
    (the org, the time) is bound once and named by number (``?1``) in each row. Each shape of
    chunk is prepared once: a handful of statements per table, kept in the statement cache.
    """

    __slots__ = (
        "_columns",
        "_head",
        "_no_shared",
        "_nullable",
        "_one_row",
        "_pick_nullable",
        "_pick_shared",
        "_prepared",
        "_shared",
    )

    def __init__(
        self, sql: str, *, nullable: tuple[int, ...] = (), shared: tuple[int, ...] = ()
    ) -> None:
        assert not set(nullable) & set(shared), "a column is either nullable or shared"
        self._head, _, values = sql.partition(" VALUES ")
        self._columns = values.count("?")
        self._nullable = nullable
        self._shared = shared
        self._pick_nullable = _getter(nullable)
        self._pick_shared = _getter(shared)
        self._no_shared = (False,) * len(shared)
        self._prepared: dict[_Shape, tuple[str, _Getter, _Getter]] = {}
        # one row with every nullable column None, the common create: prepared up front
        sql, _, per_row = self._prepare((1, (True,) * len(nullable), self._no_shared))
        self._one_row = ((None,) * len(nullable), sql, per_row)

    def __call__(self, conn: sqlite3.Connection, rows: list[_Row]) -> None:
        if len(rows) == 1:
            row = rows[0]
            nones, sql, per_row = self._one_row
            values = self._pick_nullable(row)
            if values != nones:
                shape = (1, tuple(map(_IS_NONE, values)), self._no_shared)
                sql, _, per_row = self._prepared.get(shape) or self._prepare(shape)
            conn.execute(sql, per_row(row))
            return
        start, total, size = 0, len(rows), _CHUNK
        while start < total:
            while size > total - start:
                size //= 2
            chunk = rows[start : start + size]
            start += size
            nullable = zip(*map(self._pick_nullable, chunk), strict=True)
            shared = zip(*map(self._pick_shared, chunk), strict=True)
            shape = (
                size,
                tuple(column.count(None) == size for column in nullable),
                tuple(column.count(column[0]) == size for column in shared),
            )
            sql, once, per_row = self._prepared.get(shape) or self._prepare(shape)
            params = list(once(chunk[0]))
            params += [value for row in chunk for value in per_row(row)]
            conn.execute(sql, params)

    def _prepare(self, shape: _Shape) -> tuple[str, _Getter, _Getter]:
        rows, null_mask, shared_mask = shape
        nulls = {c for c, null in zip(self._nullable, null_mask, strict=True) if null}
        once = [c for c, same in zip(self._shared, shared_mask, strict=True) if same]
        per_row = [c for c in range(self._columns) if c not in nulls and c not in once]
        numbers = {c: n for n, c in enumerate(once, start=1)}
        values = []
        for row in range(rows):
            first = len(once) + 1 + row * len(per_row)
            row_numbers = numbers | {c: n for n, c in enumerate(per_row, start=first)}
            values.append(
                "("
                + ", ".join(
                    "NULL" if c in nulls else f"?{row_numbers[c]}" for c in range(self._columns)
                )
                + ")"
            )
        prepared = (f"{self._head} VALUES {', '.join(values)}", _getter(once), _getter(per_row))
        self._prepared[shape] = prepared
        return prepared


_IS_NONE = functools.partial(operator.is_, None)


# nullable: schedule_cron, last_sync_at, idempotency_key, request_hash. shared: the org, the
# actor, the time and the event's key and version, one per write
_INSERT_CONFIG = _Insert(_CONFIG_INSERT, nullable=(9, 11, 15, 16), shared=(1, 13, 14))
_INSERT_AUDIT = _Insert(_AUDIT_INSERT, shared=(0, 1, 2, 5))
_INSERT_OUTBOX = _Insert(_OUTBOX_INSERT, shared=(1, 2, 3, 4, 5))
_INSERT_PENDING = _Insert(_PENDING_INSERT)


def _time(value: str | None) -> datetime | None:
    return None if value is None else datetime.fromisoformat(value)


def _field_mappings_json(mappings: tuple[FieldMapping, ...]) -> str:
    if not mappings:
        return "[]"
    return json.dumps(converter().unstructure(mappings, tuple[FieldMapping, ...]))


#: The config fields that change after creation, and the column of each.
_UPDATABLE = {
    "name": "text",
    "schedule_enabled": "bool",
    "schedule_cron": "text",
    "is_active": "bool",
    "last_sync_at": "time",
}


def _config_changes(
    changes: Mapping[str, object],
    placeholder: str,
    time: Callable[[datetime], object],
    boolean: Callable[[bool], object],
) -> tuple[str, list[object]]:
    """``SET`` text and parameters for changes of a config's updatable fields (shared with the
    other SQL backend)."""
    sets: list[str] = []
    params: list[object] = []
    for name, value in changes.items():
        kind = _UPDATABLE.get(name)
        if kind is None:
            raise KeyError(f"sync config field {name!r} does not change after creation")
        sets.append(f"{name} = {placeholder}")
        if value is not None and kind == "time":
            value = time(value)  # type: ignore[arg-type]
        elif value is not None and kind == "bool":
            value = boolean(value)  # type: ignore[arg-type]
        params.append(value)
    return ", ".join(sets), params


def config_from_row(row: Sequence[Any]) -> SyncConfig:
    """A :class:`SyncConfig` from a row of ``_CONFIG_COLUMNS`` (shared with the other SQL
    backends)."""
    mappings: tuple[FieldMapping, ...] = ()
    if row[11] not in ("[]", None):
        raw = json.loads(row[11]) if isinstance(row[11], str) else row[11]
        mappings = converter().structure(raw, tuple[FieldMapping, ...])
    last_sync = row[10]
    return SyncConfig(
        id=row[0],
        integration_id=row[1],
        connection_id=row[2],
        name=row[3],
        direction=SyncDirection(row[4]),
        source_object=row[5],
        target_object=row[6],
        schedule_enabled=bool(row[7]),
        schedule_cron=row[8],
        is_active=bool(row[9]),
        last_sync_at=_time(last_sync) if isinstance(last_sync, str) else last_sync,
        field_mappings=mappings,
    )


def audit_query(
    org_id: str | None, subject_id: str | None, limit: int | None, offset: int, mark: str
) -> tuple[str, tuple[object, ...]]:
    """The SELECT of a page of audit records, oldest first, and its parameters, written with
    the driver's placeholder ``mark`` (shared with the other SQL backends)."""
    where = [
        (column, value)
        for column, value in (("org_id", org_id), ("subject_id", subject_id))
        if value is not None
    ]
    sql = "SELECT key, actor_id, org_id, subject_id, event_id, occurred_at FROM audit_records"
    if where:
        sql += " WHERE " + " AND ".join(f"{column} = {mark}" for column, _ in where)
    sql += f" ORDER BY seq LIMIT {mark} OFFSET {mark}"
    return sql, (*(value for _, value in where), limit, offset)


def _outbox_from_row(row: Sequence[Any]) -> OutboxEvent:
    return OutboxEvent(
        id=row[0],
        key=row[1],
        version=row[2],
        occurred_at=datetime.fromisoformat(row[3]),
        actor_id=row[4],
        org_id=row[5],
        subject_id=row[6],
        payload_json=row[7],
        delivered=bool(row[8]),
        claimed_until=_time(row[9]),
    )


class _Configs(ConfigRepository):
    def __init__(self, conn: sqlite3.Connection, iso: _IsoTimes) -> None:
        self._conn = conn
        self._iso = iso

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
        created = self._iso(created_at)
        rows = [
            (
                c.id,
                org_id,
                c.integration_id,
                c.connection_id,
                c.name,
                c.direction.value,
                c.source_object,
                c.target_object,
                # ints, not bools: sqlite3 binds a bool through its adapter lookup, which
                # raises and clears an AttributeError per value (twice the cost of an int)
                1 if c.schedule_enabled else 0,
                c.schedule_cron,
                1 if c.is_active else 0,
                None if c.last_sync_at is None else c.last_sync_at.isoformat(),
                _field_mappings_json(c.field_mappings),
                created_by,
                created,
                idempotency_key,
                request_hash,
            )
            for c in configs
        ]
        try:
            _INSERT_CONFIG(self._conn, rows)
        except sqlite3.IntegrityError as exc:
            if idempotency_key is not None and "idempotency_key" in str(exc):
                raise IdempotencyKeyTaken(idempotency_key) from exc
            if "sync_configs.id" in str(exc):  # the primary key
                raise config_id_taken(rows[0][0] if len(rows) == 1 else None) from exc
            raise
        if rows:  # the org's total, in the same transaction (see migration 0003)
            self._conn.execute(_COUNT_CONFIGS, (org_id, len(rows)))

    def get(self, org_id: str, config_id: str) -> SyncConfig | None:
        row = self._conn.execute(
            f"SELECT {_CONFIG_COLUMNS} FROM sync_configs WHERE id = ? AND org_id = ?",
            (config_id, org_id),
        ).fetchone()
        return None if row is None else config_from_row(row)

    def list(self, org_id: str, *, limit: int, offset: int) -> list[SyncConfig]:
        rows = self._conn.execute(
            f"SELECT {_CONFIG_COLUMNS} FROM sync_configs WHERE org_id = ?"
            " ORDER BY rowid LIMIT ? OFFSET ?",
            (org_id, limit, offset),
        ).fetchall()
        return [config_from_row(row) for row in rows]

    def count(self, org_id: str | None = None) -> int:
        if org_id is None:
            row = self._conn.execute("SELECT count(*) FROM sync_configs").fetchone()
        else:
            row = self._conn.execute(
                "SELECT config_count FROM org_config_counts WHERE org_id = ?", (org_id,)
            ).fetchone()
        return 0 if row is None else int(row[0])

    def update(self, org_id: str, config_id: str, changes: Mapping[str, object]) -> bool:
        sets, params = _config_changes(changes, "?", iso_time, int)
        sql = f"UPDATE sync_configs SET {sets} WHERE org_id = ? AND id = ?"
        return self._conn.execute(sql, [*params, org_id, config_id]).rowcount > 0

    def find_by_idempotency_key(self, org_id: str, key: str) -> tuple[SyncConfig, str] | None:
        row = self._conn.execute(
            f"SELECT {_CONFIG_COLUMNS}, request_hash FROM sync_configs"
            " WHERE org_id = ? AND idempotency_key = ?",
            (org_id, key),
        ).fetchone()
        return None if row is None else (config_from_row(row), row[12] or "")


class _Audit(AuditRepository):
    def __init__(self, conn: sqlite3.Connection, iso: _IsoTimes) -> None:
        self._conn = conn
        self._iso = iso

    def add_many(self, records: Sequence[AuditRecord]) -> None:
        iso = self._iso
        rows = [
            (r.key, r.actor_id, r.org_id, r.subject_id, r.event_id, iso(r.occurred_at))
            for r in records
        ]
        _INSERT_AUDIT(self._conn, rows)

    def list(
        self,
        org_id: str | None,
        *,
        subject_id: str | None = None,
        limit: int | None = None,
        offset: int = 0,
    ) -> list[AuditRecord]:
        # LIMIT -1 is no limit
        sql, params = audit_query(org_id, subject_id, -1 if limit is None else limit, offset, "?")
        rows = self._conn.execute(sql, params).fetchall()
        return [
            AuditRecord(r[0], r[1], r[2], r[3], r[4], datetime.fromisoformat(r[5])) for r in rows
        ]

    def count(self) -> int:
        return int(self._conn.execute("SELECT count(*) FROM audit_records").fetchone()[0])


class _Outbox(OutboxRepository):
    def __init__(self, conn: sqlite3.Connection, iso: _IsoTimes) -> None:
        self._conn = conn
        self._iso = iso

    def add_many(self, events: Sequence[OutboxEvent]) -> None:
        iso = self._iso
        rows = [
            (
                e.id,
                e.key,
                e.version,
                iso(e.occurred_at),
                e.actor_id,
                e.org_id,
                e.subject_id,
                e.payload_json,
            )
            for e in events
        ]
        _INSERT_OUTBOX(self._conn, rows)
        pending = [(e.id,) for e in events if not e.delivered]
        if pending:
            _INSERT_PENDING(self._conn, pending)

    def mark_delivered(self, event_ids: Sequence[str], delivered_at: datetime) -> None:
        # the time is not kept: a delivered event is one that is no longer pending
        if len(event_ids) == 1:
            self._conn.execute(_MARK_DELIVERED, (event_ids[0],))
            return
        # A batch in few statements: 500 ids each, under SQLite's variable limit
        for start in range(0, len(event_ids), 500):
            chunk = event_ids[start : start + 500]
            self._conn.execute(
                f"DELETE FROM outbox_pending WHERE event_id IN ({', '.join('?' * len(chunk))})",
                chunk,
            )

    def claim_pending(
        self, limit: int, *, now: datetime, lease_until: datetime
    ) -> list[OutboxEvent]:
        # BEGIN IMMEDIATE already excludes every other writer: select, then take the lease.
        rows = self._conn.execute(
            f"SELECT {_OUTBOX_COLUMNS} FROM outbox_pending p"
            " JOIN outbox_events o ON o.id = p.event_id"
            " WHERE p.claimed_until IS NULL OR p.claimed_until <= ?"
            " ORDER BY o.rowid LIMIT ?",
            (now.isoformat(), limit),
        ).fetchall()
        until = lease_until.isoformat()
        self._conn.executemany(
            "UPDATE outbox_pending SET claimed_until = ? WHERE event_id = ?",
            [(until, row[0]) for row in rows],
        )
        return [_outbox_from_row(row) for row in rows]

    def release(self, event_ids: Sequence[str]) -> None:
        self._conn.executemany(
            "UPDATE outbox_pending SET claimed_until = NULL WHERE event_id = ?",
            [(event_id,) for event_id in event_ids],
        )

    def list(self) -> list[OutboxEvent]:
        rows = self._conn.execute(
            f"SELECT {_OUTBOX_COLUMNS} FROM outbox_events o"
            " LEFT JOIN outbox_pending p ON p.event_id = o.id ORDER BY o.rowid"
        ).fetchall()
        return [_outbox_from_row(row) for row in rows]

    def count(self, *, pending_only: bool = False) -> int:
        table = "outbox_pending" if pending_only else "outbox_events"
        return int(self._conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0])


class _Runner:
    """Sends :class:`~sync_sdk.storage.tables.SqlTable`'s statements on the connection."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self._conn = conn

    def write(self, table: str, sql: str, params: Sequence[object]) -> int:
        try:
            return self._conn.execute(sql, params).rowcount
        except sqlite3.IntegrityError as exc:
            if "UNIQUE" in str(exc):
                raise UniqueViolation(table, str(exc)) from exc
            raise

    def read(self, sql: str, params: Sequence[object]) -> list[tuple[Any, ...]]:
        return self._conn.execute(sql, params).fetchall()

    # a write transaction holds the database's write lock already
    read_locked = read


class _SqliteUnitOfWork:
    def __init__(self, conn: sqlite3.Connection) -> None:
        self._conn = conn
        iso = _IsoTimes()
        self.configs = _Configs(conn, iso)
        self.audit = _Audit(conn, iso)
        self.outbox = _Outbox(conn, iso)
        self._runner = _Runner(conn)
        self._tables: dict[Table[Any], SqlTable[Any]] = {}

    def table(self, table: Table[Any]) -> SqlTable[Any]:
        repository = self._tables.get(table)
        if repository is None:
            repository = self._tables[table] = SqlTable(table, DIALECT, self._runner)
        return repository

    def commit(self) -> None:
        self._conn.execute("COMMIT")

    def rollback(self) -> None:
        if self._conn.in_transaction:
            self._conn.execute("ROLLBACK")


class _Transaction:
    """``with storage.unit_of_work():`` holds the storage's lock for one transaction."""

    __slots__ = ("_begin", "_check_file", "_storage")

    def __init__(self, storage: SqliteStorage, begin: str, *, check_file: bool = False) -> None:
        self._storage = storage
        self._begin = begin
        self._check_file = check_file

    def __enter__(self) -> _SqliteUnitOfWork:
        storage = self._storage
        storage._lock.acquire()
        try:
            if storage._closed:
                raise StorageError("storage is closed")
            if self._check_file:
                storage._check_file()
            storage._conn.execute(self._begin)
        except sqlite3.Error as exc:
            storage._lock.release()
            raise StorageError(f"SQLite error: {exc}") from exc
        except BaseException:
            storage._lock.release()
            raise
        return storage._uow

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        storage = self._storage
        try:
            if storage._conn.in_transaction:
                storage._conn.execute("ROLLBACK")
        except sqlite3.Error as rollback_error:
            if exc is None:
                raise StorageError(f"SQLite error: {rollback_error}") from rollback_error
        finally:
            storage._lock.release()
        if isinstance(exc, sqlite3.Error):
            raise StorageError(f"SQLite error: {exc}") from exc


def _file_id(path: str) -> tuple[int, int]:
    stat = os.stat(path)
    return stat.st_dev, stat.st_ino


@functools.cache
def _known_migrations() -> tuple[str, ...]:
    """The names of the migrations this version knows, oldest first."""
    # pending() on an empty database lists them all, through sqlite-utils' public API
    conn = sqlite3.connect(":memory:")
    try:
        return tuple(m.name for m in migrations.pending(sqlite_utils.Database(conn)))
    finally:
        conn.close()


def _pending_migrations(
    db: sqlite_utils.Database, path: str, begin: str, *, apply: bool = False
) -> bool:
    """Whether ``db`` lacks migrations this version knows (applying them if ``apply``), in one
    transaction started by ``begin``; :class:`StorageError` for a database migrated by a newer
    sync_sdk, which this version could corrupt.
    """
    conn = db.conn
    conn.execute(begin)
    try:
        applied = [m.name for m in migrations.applied(db)]
        known = _known_migrations()
        unknown = [name for name in applied if name not in known]
        if unknown:
            raise StorageError(
                f"SQLite database {path!r} was migrated by a newer sync_sdk: its newest"
                f" migration is {applied[-1]!r}, this sync_sdk knows up to {known[-1]!r};"
                " upgrade sync_sdk to open it"
            )
        pending = len(applied) < len(known)
        if pending and apply:
            migrations.apply(db)
        conn.execute("COMMIT")
    finally:
        if conn.in_transaction:
            conn.execute("ROLLBACK")
    return pending


def _enable_wal(conn: sqlite3.Connection, timeout: float) -> None:
    """Switch the file to WAL mode, waiting for other openers as the busy timeout would.

    Two processes opening a new file at once can both ask for the switch, which needs an
    exclusive lock; SQLite answers "database is locked" at once rather than calling the busy
    handler (it could deadlock), so wait and retry here, up to ``timeout`` seconds.
    """
    deadline = time.monotonic() + timeout
    delay = 0.001
    while True:
        try:
            conn.execute("PRAGMA journal_mode=WAL")
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or time.monotonic() + delay > deadline:
                raise
            time.sleep(delay)
            delay = min(delay * 2, 0.05)


class SqliteStorage:
    """SQLite through sqlite-utils; one connection, serialised by a lock (safe across threads).

    ``path`` is a file path or ``":memory:"`` (a private database that lives as long as this
    object).
    """

    def __init__(
        self,
        path: str = ":memory:",
        *,
        synchronous: str = "FULL",
        busy_timeout: float = 30.0,
    ) -> None:
        if not isinstance(synchronous, str):
            raise ConfigurationTypeError(
                f"synchronous must be a str, not {type(synchronous).__name__}"
            )
        synchronous = synchronous.upper()
        if synchronous not in SYNCHRONOUS_MODES:
            raise ConfigurationError(
                f"synchronous must be one of {', '.join(SYNCHRONOUS_MODES)} (any case)"
            )
        self.path = path
        self.url = "sqlite:///" + path
        self.synchronous = synchronous
        self._lock = threading.RLock()
        try:
            # isolation_level=None: we issue BEGIN/COMMIT ourselves; the lock makes the one
            # connection safe to use from several threads.
            conn = sqlite3.connect(
                path, timeout=busy_timeout, isolation_level=None, check_same_thread=False
            )
            try:
                if path != ":memory:":
                    _enable_wal(conn, busy_timeout)
                conn.execute(f"PRAGMA synchronous={synchronous}")
                conn.execute("PRAGMA foreign_keys=ON")
                conn.execute(f"PRAGMA busy_timeout={int(busy_timeout * 1000)}")
                self.db = sqlite_utils.Database(conn, execute_plugins=False)
                # A read first, the write lock (waiting for any other writer) only to migrate,
                # checking again under it: another process may have migrated meanwhile
                if _pending_migrations(self.db, path, "BEGIN"):
                    _pending_migrations(self.db, path, "BEGIN IMMEDIATE", apply=True)
                # (device, inode) of the file opened: each write checks the path still has it
                # (absolute, as SQLite keeps it: a later chdir does not move the database)
                self._file_path = os.path.abspath(path)
                self._file = None if path in ("", ":memory:") else _file_id(self._file_path)
            except BaseException:
                conn.close()
                raise
        except (sqlite3.Error, OSError) as exc:
            raise StorageError(f"cannot open SQLite database {path!r}: {exc}") from exc
        self._conn = conn
        self._closed = False
        # One unit of work and two transaction objects, reused: the lock makes them exclusive
        self._uow = _SqliteUnitOfWork(conn)
        self._write_tx = _Transaction(self, "BEGIN IMMEDIATE", check_file=self._file is not None)
        self._read_tx = _Transaction(self, "BEGIN")

    def unit_of_work(self, *, write: bool = True) -> _Transaction:
        return self._write_tx if write else self._read_tx

    def ensure_tables(self, tables: Sequence[Table[Any]]) -> None:
        """Create the entity tables (and their indexes) that the database lacks yet."""
        with self._lock:
            if self._closed:
                raise StorageError("storage is closed")
            conn = self._conn
            try:
                names = {
                    row[0]
                    for row in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
                }
                missing = [t for t in tables if t.name not in names]
                if not missing:
                    return
                conn.execute("BEGIN IMMEDIATE")
                try:
                    for table in missing:
                        for statement in ddl(table, DIALECT):
                            conn.execute(statement)
                    conn.execute("COMMIT")
                finally:
                    if conn.in_transaction:
                        conn.execute("ROLLBACK")
            except sqlite3.Error as exc:
                raise StorageError(f"SQLite error: {exc}") from exc

    def _check_file(self) -> None:
        """Raise :class:`StorageError` when the path no longer leads to the file opened.

        SQLite keeps writing to the file it has open: after the file is deleted (or replaced),
        every write would go to an orphaned inode and be lost when the storage closes.
        """
        try:
            same = _file_id(self._file_path) == self._file
        except FileNotFoundError:
            same = False
        except OSError as exc:
            raise StorageError(f"cannot check SQLite database {self.path!r}: {exc}") from exc
        if not same:
            raise StorageError(
                f"SQLite database {self.path!r} was deleted or replaced after it was opened;"
                " nothing was written: close this hub and open the file again"
            )

    def close(self) -> None:
        with self._lock:
            if not self._closed:
                self._closed = True
                self._conn.close()

    def __repr__(self) -> str:
        return f"SqliteStorage({self.path!r}, synchronous={self.synchronous!r})"
