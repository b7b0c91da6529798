"""The shared backend: PostgreSQL through psycopg 3 and a psycopg_pool connection pool.

Install sync_sdk with its ``postgres`` extra, then give a hub the server's URL::

    hub = SyncHub("postgresql://app:secret@127.0.0.1:5432/sync")

The URL is handed to libpq, so its query parameters work as documented there (``sslmode``,
``connect_timeout``, ``options=-csearch_path%3Dmyschema`` for another schema...). The password
never leaves this module: :attr:`PostgresStorage.url`, ``repr()``, logs and error messages show
``***`` instead.

One option is the SDK's own, and is taken out before the URL reaches libpq:
``?pool_timeout=SECONDS`` (a positive number, default :data:`DEFAULT_POOL_TIMEOUT`, 5 s) is how
long a call waits for a pooled connection before it raises
:class:`~sync_sdk.errors.StorageError`. While the server is down or unreachable every call
waits that long, so it is short: an embedded SDK runs inside its caller's request, which should
fail in seconds rather than hang for psycopg_pool's default 30 s; 5 s still rides out a server
restart or a pool that is busy for a moment. Unless the URL sets ``connect_timeout``, each
connection attempt (at opening too) gives up after the same time, rounded up to whole seconds
(libpq's minimum is 2), so that a host that drops packets does not hang the opening either::

    hub = SyncHub("postgresql://app:secret@db.internal/sync?pool_timeout=2&sslmode=require")

At start the versioned schema migrations (:data:`MIGRATIONS`) are applied under an advisory lock,
so several processes may start at once against an empty database; each version is recorded in
``sync_sdk_migrations``. The tables and constraints are SQLite's (the partial unique index on
``(org_id, idempotency_key)``, the outbox lease column; audit records and outbox events name
their subject with no foreign key, so that they may be about any entity), with native types
(``timestamptz``, ``boolean``, ``jsonb``) and an identity ``seq`` column that keeps insertion
order.

A unit of work is one transaction (READ COMMITTED; a read-only one is REPEATABLE READ READ ONLY,
one snapshot like SQLite's). Its writes are sent when it commits, all in one statement, so the
usual create (config, audit record, outbox event, delivery marks) costs one round trip; a read
within the unit of work sends the writes staged before it first, in an explicit transaction.
Statements are prepared on first use. :meth:`~_Outbox.claim_pending` locks rows with
``FOR UPDATE SKIP LOCKED``, so hubs in several processes claim disjoint events without waiting.

.. versionadded:: 0.1.0
"""

from __future__ import annotations

import functools
import json
import math
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager, suppress
from datetime import UTC, datetime
from typing import Any, NoReturn
from urllib.parse import unquote, unquote_plus, urlsplit

import psycopg
from psycopg import errors as pg_errors
from psycopg.conninfo import conninfo_to_dict
from psycopg.types.json import Jsonb
from psycopg_pool import ConnectionPool, PoolTimeout

from sync_sdk.errors import ConfigurationError, StorageError
from sync_sdk.models import FieldMapping, SyncConfig, converter
from sync_sdk.records import AuditRecord, OutboxEvent
from sync_sdk.storage import redact_url
from sync_sdk.storage.base import (
    AuditRepository,
    ConfigRepository,
    IdempotencyKeyTaken,
    OutboxRepository,
    config_id_taken,
)
from sync_sdk.storage.sqlite import _config_changes, audit_query, config_from_row
from sync_sdk.storage.tables import SqlDialect, SqlTable, Table, UniqueViolation, ddl

#: How entity tables (:mod:`sync_sdk.storage.tables`) are spelled in PostgreSQL.
DIALECT = SqlDialect(
    name="postgresql",
    placeholder="%s",
    types={
        "text": "text",
        "bool": "boolean",
        "int": "bigint",
        "time": "timestamptz",
        "enum": "text",
        "json": "jsonb",
    },
    order_column="seq",
    identity="seq bigint GENERATED ALWAYS AS IDENTITY",
    encode_json=Jsonb,
    decode_json=lambda value: value,
    encode_time=lambda value: value,
    decode_time=lambda value: value,
    bool_param=lambda value: value,
    skip_locked=" FOR UPDATE SKIP LOCKED",
)

__all__ = ["DEFAULT_POOL_TIMEOUT", "DIALECT", "MIGRATIONS", "MIGRATION_LOCK_ID", "PostgresStorage"]

#: Advisory lock held while migrating: one process at a time changes the schema.
MIGRATION_LOCK_ID = 0x5D5D_0001

#: Seconds a call waits for a pooled connection unless the URL gives ``?pool_timeout=``.
DEFAULT_POOL_TIMEOUT = 5.0

#: The schedules table as sync_sdk.operations.tables declared SCHEDULES when it was added
#: (tests hold it equal to what ``ddl()`` makes of the declaration).
SCHEDULES_DDL = (
    "CREATE TABLE IF NOT EXISTS sync_schedules (seq bigint GENERATED ALWAYS AS IDENTITY,"
    " org_id text NOT NULL, id text NOT NULL, cron text NOT NULL, due_at timestamptz,"
    " last_slot_at timestamptz, PRIMARY KEY (org_id, id))",
    "CREATE INDEX IF NOT EXISTS sync_schedules_due_at ON sync_schedules (due_at, seq)",
)

#: The schema, version by version: ``(version, name, statements)``; applied in order, once.
MIGRATIONS: tuple[tuple[int, str, tuple[str, ...]], ...] = (
    (
        1,
        "0001_initial",
        (
            """CREATE TABLE sync_configs (
                seq bigint GENERATED ALWAYS AS IDENTITY,
                id text PRIMARY KEY,
                org_id text NOT NULL,
                integration_id text NOT NULL,
                connection_id text NOT NULL,
                name text NOT NULL,
                direction text NOT NULL
                    CHECK (direction IN ('INBOUND', 'OUTBOUND', 'BIDIRECTIONAL')),
                source_object text NOT NULL,
                target_object text NOT NULL,
                schedule_enabled boolean NOT NULL,
                schedule_cron text,
                is_active boolean NOT NULL,
                last_sync_at timestamptz,
                field_mappings jsonb NOT NULL DEFAULT '[]'
                    CHECK (jsonb_typeof(field_mappings) = 'array'),
                created_by text NOT NULL,
                created_at timestamptz NOT NULL,
                idempotency_key text,
                request_hash text
            )""",
            "CREATE INDEX sync_configs_org ON sync_configs (org_id, seq)",
            "CREATE UNIQUE INDEX sync_configs_idempotency ON sync_configs (org_id, idempotency_key)"
            " WHERE idempotency_key IS NOT NULL",
            """CREATE TABLE audit_records (
                seq bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
                key text NOT NULL,
                actor_id text NOT NULL,
                org_id text NOT NULL,
                subject_id text NOT NULL REFERENCES sync_configs (id),
                event_id text NOT NULL,
                occurred_at timestamptz NOT NULL
            )""",
            "CREATE INDEX audit_records_org ON audit_records (org_id, seq)",
            """CREATE TABLE outbox_events (
                seq bigint GENERATED ALWAYS AS IDENTITY,
                id text PRIMARY KEY,
                key text NOT NULL,
                version text NOT NULL,
                occurred_at timestamptz NOT NULL,
                actor_id text NOT NULL,
                org_id text NOT NULL,
                subject_id text NOT NULL REFERENCES sync_configs (id),
                payload text NOT NULL,
                delivered_at timestamptz,
                claimed_until timestamptz
            )""",
            "CREATE INDEX outbox_events_pending ON outbox_events (occurred_at, seq)"
            " WHERE delivered_at IS NULL",
        ),
    ),
    (
        2,
        "0002_org_config_counts",
        (
            # An org's total in O(1), as on SQLite. Each statement adds to one of 16 rows of
            # the org, picked at random, so that concurrent writers in one org rarely wait
            # for each other's row lock; the total is their sum.
            """CREATE TABLE org_config_counts (
                org_id text NOT NULL,
                shard smallint NOT NULL,
                config_count bigint NOT NULL,
                PRIMARY KEY (org_id, shard)
            )""",
            "INSERT INTO org_config_counts (org_id, shard, config_count)"
            " SELECT org_id, 0, count(*) FROM sync_configs GROUP BY org_id",
            """CREATE FUNCTION sync_sdk_count_configs() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
                IF TG_OP = 'INSERT' THEN
                    INSERT INTO org_config_counts AS c (org_id, shard, config_count)
                    SELECT org_id, floor(random() * 16)::smallint, count(*)
                    FROM changed GROUP BY org_id
                    ON CONFLICT (org_id, shard)
                    DO UPDATE SET config_count = c.config_count + EXCLUDED.config_count;
                ELSE
                    INSERT INTO org_config_counts AS c (org_id, shard, config_count)
                    SELECT org_id, floor(random() * 16)::smallint, -count(*)
                    FROM changed GROUP BY org_id
                    ON CONFLICT (org_id, shard)
                    DO UPDATE SET config_count = c.config_count + EXCLUDED.config_count;
                END IF;
                RETURN NULL;
            END $$""",
            # Once per statement, not per row: a batch of configs costs one upsert per org
            "CREATE TRIGGER sync_configs_count_insert AFTER INSERT ON sync_configs"
            " REFERENCING NEW TABLE AS changed FOR EACH STATEMENT"
            " EXECUTE FUNCTION sync_sdk_count_configs()",
            "CREATE TRIGGER sync_configs_count_delete AFTER DELETE ON sync_configs"
            " REFERENCING OLD TABLE AS changed FOR EACH STATEMENT"
            " EXECUTE FUNCTION sync_sdk_count_configs()",
        ),
    ),
    (
        3,
        "0003_audit_subject",
        # hub.audit_log(subject_id=...) finds one config's records, in order, without reading
        # its whole org
        ("CREATE INDEX audit_records_subject ON audit_records (org_id, subject_id, seq)",),
    ),
    (
        4,
        "0004_neutral_subjects",
        # Audit records and outbox events may be about any entity (an integration, a
        # connection, a run), not only a config. The names are the ones PostgreSQL gave the
        # foreign keys of migration 1 (<table>_<column>_fkey); the rows stay as they are.
        (
            "ALTER TABLE audit_records DROP CONSTRAINT audit_records_subject_id_fkey",
            "ALTER TABLE outbox_events DROP CONSTRAINT outbox_events_subject_id_fkey",
        ),
    ),
    (
        5,
        "0005_idempotency_keys",
        # Idempotency keys leave the config row for a table of their own, shared by every
        # command (the entity table IDEMPOTENCY_KEYS of sync_sdk.operations.tables, spelled out
        # as declared when this was written). Each stored key is copied with the config it
        # created, the first result a replay returns; the config columns stay, unwritten.
        (
            "CREATE TABLE IF NOT EXISTS idempotency_keys (seq bigint GENERATED ALWAYS AS"
            " IDENTITY, org_id text NOT NULL, id text NOT NULL, operation text NOT NULL,"
            " request_hash text NOT NULL, result_json text NOT NULL, created_at timestamptz"
            " NOT NULL, PRIMARY KEY (org_id, id))",
            "INSERT INTO idempotency_keys (org_id, id, operation, request_hash, result_json,"
            " created_at) SELECT org_id, idempotency_key, 'integration.syncConfig.create',"
            " coalesce(request_hash, ''), jsonb_build_object('id', id, 'integrationId',"
            " integration_id, 'connectionId', connection_id, 'name', name, 'direction',"
            " direction, 'sourceObject', source_object, 'targetObject', target_object,"
            " 'scheduleEnabled', schedule_enabled, 'scheduleCron', schedule_cron, 'isActive',"
            " is_active, 'lastSyncAt', last_sync_at, 'fieldMappings', field_mappings)::text,"
            " created_at FROM sync_configs WHERE idempotency_key IS NOT NULL ORDER BY seq",
        ),
    ),
    (
        6,
        "0006_sync_schedules",
        # Cron schedules get a table of their own (SCHEDULES of sync_sdk.operations.tables, as
        # declared when this was written), indexed by the next slot, so that schedule_due reads
        # only the configs that are due. A config stored with an active schedule is due from
        # its creation on: schedule_due runs the latest slot since then, once.
        (
            *SCHEDULES_DDL,
            # due just after its creation: schedule_due then waits for the first slot after
            "INSERT INTO sync_schedules (org_id, id, cron, due_at) SELECT org_id, id,"
            " schedule_cron, created_at + interval '1 microsecond' FROM sync_configs"
            " WHERE schedule_enabled AND is_active AND schedule_cron IS NOT NULL ORDER BY seq"
            " ON CONFLICT (org_id, id) DO NOTHING",
        ),
    ),
)

_IDEMPOTENCY_INDEX = "sync_configs_idempotency"
_CONFIG_KEY = "sync_configs_pkey"
_CONFIG_COLUMNS = (
    "id, integration_id, connection_id, name, direction, source_object, target_object,"
    " schedule_enabled, schedule_cron, is_active, last_sync_at, field_mappings"
)
_OUTBOX_COLUMNS = (
    "id, key, version, occurred_at, actor_id, org_id, subject_id, payload, delivered_at,"
    " claimed_until"
)


def _insert(table: str, columns: str, types: str) -> tuple[str, str]:
    """One INSERT for a single row (``VALUES``) and one for any number (``unnest`` of arrays).

    A batch then costs one prepared statement whatever its size; a single row skips the
    arrays, which cost more to send.
    """
    casts = [t.strip() for t in types.split(",")]
    one = ", ".join("%s" if t == "text" else f"%s::{t}" for t in casts)
    many = ", ".join(f"%s::{t}[]" for t in casts)
    prefix = f"INSERT INTO {table} ({columns})"
    return f"{prefix} VALUES ({one})", f"{prefix} SELECT * FROM unnest({many})"


_INSERT_CONFIG, _INSERT_CONFIGS = _insert(
    "sync_configs",
    "id, org_id, integration_id, connection_id, name, direction, source_object, target_object,"
    " schedule_enabled, schedule_cron, is_active, last_sync_at, field_mappings, created_by,"
    " created_at, idempotency_key, request_hash",
    "text, text, text, text, text, text, text, text, boolean, text, boolean, timestamptz, jsonb,"
    " text, timestamptz, text, text",
)
_INSERT_AUDIT, _INSERT_AUDITS = _insert(
    "audit_records",
    "key, actor_id, org_id, subject_id, event_id, occurred_at",
    "text, text, text, text, text, timestamptz",
)
_INSERT_OUTBOX, _INSERT_OUTBOXES = _insert(
    "outbox_events",
    "id, key, version, occurred_at, actor_id, org_id, subject_id, payload, delivered_at",
    "text, text, text, timestamptz, text, text, text, text, timestamptz",
)
_MARK_DELIVERED = (
    "UPDATE outbox_events SET delivered_at = %s WHERE id = ANY(%s::text[]) AND delivered_at IS NULL"
)
_RELEASE = "UPDATE outbox_events SET claimed_until = NULL WHERE id = ANY(%s::text[])"
_FIND_BY_KEY = (
    f"SELECT {_CONFIG_COLUMNS}, request_hash FROM sync_configs"
    " WHERE org_id = %s AND idempotency_key = %s"
)
# Lock the oldest due events, skipping rows another transaction is claiming right now, and
# lease them in the same statement.
_CLAIM = (
    "WITH due AS (SELECT id FROM outbox_events WHERE delivered_at IS NULL"
    " AND (claimed_until IS NULL OR claimed_until <= %s)"
    " ORDER BY occurred_at, seq LIMIT %s FOR UPDATE SKIP LOCKED)"
    " UPDATE outbox_events AS o SET claimed_until = %s FROM due WHERE o.id = due.id"
    f" RETURNING o.seq, {', '.join('o.' + c.strip() for c in _OUTBOX_COLUMNS.split(','))}"
)

_Params = tuple[Any, ...]


@functools.lru_cache(maxsize=64)
def _one_statement(statements: tuple[str, ...]) -> str:
    """``statements`` as one: all but the last as data-modifying CTEs (run exactly once each)."""
    if len(statements) == 1:
        return statements[0]
    ctes = ", ".join(f"w{i} AS ({sql})" for i, sql in enumerate(statements[:-1]))
    return f"WITH {ctes} {statements[-1]}"


def _field_mappings_json(mappings: tuple[FieldMapping, ...]) -> str:
    if not mappings:
        return "[]"
    return json.dumps(converter().unstructure(mappings, tuple[FieldMapping, ...]))


def _outbox_from_row(row: Sequence[Any]) -> OutboxEvent:
    # delivered_at keeps when the event was marked delivered; the record says whether
    return OutboxEvent(
        row[0], row[1], row[2], row[3], row[4], row[5], row[6], row[7], row[8] is not None, row[9]
    )


def _option_error(message: str) -> ConfigurationError:
    """The error for a bad option of the URL (one place names its type)."""
    return ConfigurationError(message)


def _seconds(name: str, value: object) -> float:
    """``value`` as a positive, finite number of seconds; else the error naming ``name``."""
    try:
        seconds = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        seconds = math.nan
    if not (math.isfinite(seconds) and seconds > 0):
        shown = repr(value if not isinstance(value, str) else value[:40])
        raise _option_error(f"{name} must be a positive number of seconds, not {shown}")
    return seconds


def _take_pool_timeout(url: str) -> tuple[str, float | None]:
    """``url`` without its ``pool_timeout`` parameter (libpq would refuse it), and its value.

    The other parameters are kept as written, byte for byte.
    """
    base, mark, query = url.partition("?")
    if not mark:
        return url, None
    kept: list[str] = []
    values: list[str] = []
    for part in query.split("&"):
        name, _, value = part.partition("=")
        if unquote_plus(name) == "pool_timeout":
            values.append(unquote(value))
        else:
            kept.append(part)
    if not values:
        return url, None
    if len(values) > 1:
        raise _option_error("pool_timeout is given more than once in the URL")
    return base + ("?" + "&".join(kept) if kept else ""), _seconds("pool_timeout", values[0])


class _Redactor:
    """Takes the password of a URL out of any text (libpq may echo a connection string)."""

    def __init__(self, url: str) -> None:
        password = urlsplit(url).password
        secrets = {password, unquote(password)} if password else set()
        self._secrets = sorted(secrets, key=len, reverse=True)
        self._url = url

    def __call__(self, text: str) -> str:
        text = text.replace(self._url, redact_url(self._url))
        for secret in self._secrets:
            text = text.replace(secret, "***")
        return text

    def error(self, message: str, exc: BaseException) -> StorageError:
        """A :class:`StorageError` for ``exc``, whose own text is scrubbed too (it is chained)."""
        exc.args = tuple(self(a) if isinstance(a, str) else a for a in exc.args)
        return StorageError(f"{message}: {self(str(exc)).strip()}")


class _PostgresUnitOfWork:
    """One transaction on one pooled connection (in autocommit mode: we send BEGIN/COMMIT).

    Writes are staged and sent at :meth:`commit` as one statement, which PostgreSQL runs as
    one implicit transaction; a read, a claim or a write that the next statement must see
    opens an explicit transaction first.
    """

    def __init__(self, conn: psycopg.Connection[Any], write: bool, redactor: _Redactor) -> None:
        self._conn = conn
        self._write = write
        self._redactor = redactor
        self._staged: list[tuple[str, _Params]] = []
        self.staged_keys: set[tuple[str, str]] = set()
        self.staged_events: set[str] = set()
        self._updated: set[str] = set()  # outbox ids a staged UPDATE touches
        self.absent_keys: set[tuple[str, str]] = set()  # looked up in this unit of work
        self._in_transaction = False
        self.configs = _Configs(self)
        self.audit = _Audit(self)
        self.outbox = _Outbox(self)
        self._tables: dict[Table[Any], SqlTable[Any]] = {}

    def table(self, table: Table[Any]) -> SqlTable[Any]:
        repository = self._tables.get(table)
        if repository is None:
            repository = self._tables[table] = SqlTable(table, DIALECT, _Runner(self))
        return repository

    # -- what the repositories call ---------------------------------------------------------

    def stage(self, sql: str, params: _Params, *, updates: Sequence[str] = ()) -> None:
        # Two writes of one row in one statement would not see each other: send the earlier
        # ones first when this one touches a row that they wrote.
        if any(i in self.staged_events or i in self._updated for i in updates):
            self._begin()
            self._send_staged()
        self._staged.append((sql, params))
        self._updated.update(updates)

    def stage_rows(self, one: str, many: str, rows: Sequence[_Params]) -> None:
        """Stage an INSERT of ``rows``: ``one`` for a single row, else ``many`` (arrays)."""
        if len(rows) == 1:
            self.stage(one, rows[0])
        elif rows:
            self.stage(many, tuple(list(column) for column in zip(*rows, strict=True)))

    def query(self, sql: str, params: _Params) -> list[tuple[Any, ...]]:
        """Run a read; staged writes go first, so that it sees them."""
        if self._staged or not self._write:
            self._begin()
            self._send_staged()
        return self._execute(sql, params).fetchall()

    def lock(self, sql: str, params: _Params) -> list[tuple[Any, ...]]:
        """Run a statement that takes row locks and writes: inside the transaction, always."""
        self._begin()
        self._send_staged()
        return self._execute(sql, params).fetchall()

    def change(self, sql: str, params: _Params) -> int:
        """Run a write at once, inside the transaction; the number of rows it changed."""
        self._begin()
        self._send_staged()
        return self._execute(sql, params).rowcount

    def commit(self) -> None:
        if self._staged and not self._write:
            self._begin()  # read-only: the server refuses the writes
        self._send_staged()
        if self._in_transaction:
            self._execute("COMMIT")
            self._in_transaction = False

    def rollback(self) -> None:
        self._clear_staged()
        if self._in_transaction:
            self._in_transaction = False
            # A read-only transaction has nothing to undo: end it with COMMIT, because psycopg
            # drops every prepared statement of the connection after a ROLLBACK.
            self._execute("ROLLBACK" if self._write else "COMMIT")

    def discard(self) -> None:
        """End the unit of work without committing, whatever state the connection is in."""
        # A rollback that fails means a broken connection: the pool discards it on return.
        with suppress(StorageError):
            self.rollback()

    # -- helpers ----------------------------------------------------------------------------

    def _begin(self) -> None:
        if not self._in_transaction:
            self._execute(
                "BEGIN" if self._write else "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY"
            )
            self._in_transaction = True

    def _send_staged(self) -> None:
        if not self._staged:
            return
        staged, keys = self._staged, self.staged_keys
        self._clear_staged()
        self.absent_keys -= keys  # they are taken now (or this unit of work fails)
        statements = tuple(sql for sql, _ in staged)
        params = tuple(p for _, group in staged for p in group)
        # One statement is atomic by itself: outside a transaction it is one.
        self._execute(_one_statement(statements), params, keys=keys)

    def _clear_staged(self) -> None:
        self._staged = []
        self.staged_keys = set()
        self.staged_events = set()
        self._updated = set()

    def _execute(
        self, sql: str, params: _Params = (), *, keys: set[tuple[str, str]] | None = None
    ) -> psycopg.Cursor[Any]:
        try:
            return self._conn.execute(sql, params)
        except pg_errors.UniqueViolation as exc:
            if exc.diag.constraint_name == _IDEMPOTENCY_INDEX:
                key = min(k for _, k in keys) if keys else ""
                raise IdempotencyKeyTaken(key) from exc
            if exc.diag.constraint_name == _CONFIG_KEY:
                detail = self._redactor(exc.diag.message_detail or "")
                raise config_id_taken(detail=detail.strip()) from exc
            constraint = exc.diag.constraint_name or ""
            raise UniqueViolation(exc.diag.table_name or "", constraint) from exc
        except psycopg.Error as exc:
            self._fail(exc)

    def _fail(self, exc: psycopg.Error) -> NoReturn:
        raise self._redactor.error("PostgreSQL error", exc) from exc


class _Runner:
    """Sends :class:`~sync_sdk.storage.tables.SqlTable`'s statements: inserts are staged (sent
    with the unit of work's other writes), updates run at once, for their row count."""

    def __init__(self, uow: _PostgresUnitOfWork) -> None:
        self._uow = uow

    def write(self, table: str, sql: str, params: Sequence[object]) -> int:
        if sql.startswith("INSERT"):
            self._uow.stage(sql, tuple(params))
            return -1
        return self._uow.change(sql, tuple(params))

    def read(self, sql: str, params: Sequence[object]) -> list[tuple[Any, ...]]:
        return self._uow.query(sql, tuple(params))

    def read_locked(self, sql: str, params: Sequence[object]) -> list[tuple[Any, ...]]:
        return self._uow.lock(sql, tuple(params))


class _Configs(ConfigRepository):
    def __init__(self, uow: _PostgresUnitOfWork) -> None:
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
        if idempotency_key is not None:
            # Tell at once when the key is taken, as the other backends do; a concurrent
            # transaction taking it meanwhile is caught by the unique index at commit.
            pair = (org_id, idempotency_key)
            taken = len(configs) > 1 or pair in uow.staged_keys
            if not taken and pair not in uow.absent_keys:
                taken = self.find_by_idempotency_key(org_id, idempotency_key) is not None
            if taken:
                raise IdempotencyKeyTaken(idempotency_key)
            uow.staged_keys.add(pair)
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
                c.schedule_enabled,
                c.schedule_cron,
                c.is_active,
                c.last_sync_at,
                _field_mappings_json(c.field_mappings),
                created_by,
                created_at,
                idempotency_key,
                request_hash,
            )
            for c in configs
        ]
        uow.stage_rows(_INSERT_CONFIG, _INSERT_CONFIGS, rows)

    def get(self, org_id: str, config_id: str) -> SyncConfig | None:
        rows = self._uow.query(
            f"SELECT {_CONFIG_COLUMNS} FROM sync_configs WHERE id = %s AND org_id = %s",
            (config_id, org_id),
        )
        return config_from_row(rows[0]) if rows else None

    def list(self, org_id: str, *, limit: int, offset: int) -> list[SyncConfig]:
        rows = self._uow.query(
            f"SELECT {_CONFIG_COLUMNS} FROM sync_configs WHERE org_id = %s"
            " ORDER BY seq LIMIT %s OFFSET %s",
            (org_id, limit, offset),
        )
        return [config_from_row(row) for row in rows]

    def count(self, org_id: str | None = None) -> int:
        if org_id is None:
            rows = self._uow.query("SELECT count(*) FROM sync_configs", ())
        else:
            rows = self._uow.query(
                "SELECT coalesce(sum(config_count), 0) FROM org_config_counts WHERE org_id = %s",
                (org_id,),
            )
        return int(rows[0][0])

    def update(self, org_id: str, config_id: str, changes: Mapping[str, object]) -> bool:
        sets, params = _config_changes(changes, "%s", lambda t: t, lambda b: b)
        sql = f"UPDATE sync_configs SET {sets} WHERE org_id = %s AND id = %s"
        return self._uow.change(sql, (*params, org_id, config_id)) > 0

    def find_by_idempotency_key(self, org_id: str, key: str) -> tuple[SyncConfig, str] | None:
        rows = self._uow.query(_FIND_BY_KEY, (org_id, key))
        if not rows:
            self._uow.absent_keys.add((org_id, key))
            return None
        return config_from_row(rows[0]), rows[0][12] or ""


class _Audit(AuditRepository):
    def __init__(self, uow: _PostgresUnitOfWork) -> None:
        self._uow = uow

    def add_many(self, records: Sequence[AuditRecord]) -> None:
        rows = [
            (r.key, r.actor_id, r.org_id, r.subject_id, r.event_id, r.occurred_at) for r in records
        ]
        self._uow.stage_rows(_INSERT_AUDIT, _INSERT_AUDITS, rows)

    def list(
        self,
        org_id: str | None,
        *,
        subject_id: str | None = None,
        limit: int | None = None,
        offset: int = 0,
    ) -> list[AuditRecord]:
        # LIMIT NULL is no limit
        rows = self._uow.query(*audit_query(org_id, subject_id, limit, offset, "%s"))
        return [AuditRecord(*row) for row in rows]

    def count(self) -> int:
        return int(self._uow.query("SELECT count(*) FROM audit_records", ())[0][0])


class _Outbox(OutboxRepository):
    def __init__(self, uow: _PostgresUnitOfWork) -> None:
        self._uow = uow

    def add_many(self, events: Sequence[OutboxEvent]) -> None:
        rows = [
            (
                e.id,
                e.key,
                e.version,
                e.occurred_at,
                e.actor_id,
                e.org_id,
                e.subject_id,
                e.payload_json,
                datetime.now(UTC) if e.delivered else None,  # added as delivered: now
            )
            for e in events
        ]
        self._uow.stage_rows(_INSERT_OUTBOX, _INSERT_OUTBOXES, rows)
        self._uow.staged_events.update(e.id for e in events)

    def mark_delivered(self, event_ids: Sequence[str], delivered_at: datetime) -> None:
        if event_ids:
            ids = sorted(event_ids)  # one lock order for every transaction: no deadlocks
            self._uow.stage(_MARK_DELIVERED, (delivered_at, ids), updates=ids)

    def claim_pending(
        self, limit: int, *, now: datetime, lease_until: datetime
    ) -> list[OutboxEvent]:
        rows = self._uow.lock(_CLAIM, (now, limit, lease_until))
        rows.sort(key=lambda row: (row[4], row[0]))  # RETURNING keeps no order
        return [_outbox_from_row(row[1:]) for row in rows]

    def release(self, event_ids: Sequence[str]) -> None:
        if event_ids:
            ids = sorted(event_ids)
            self._uow.stage(_RELEASE, (ids,), updates=ids)

    def list(self) -> list[OutboxEvent]:
        rows = self._uow.query(f"SELECT {_OUTBOX_COLUMNS} FROM outbox_events ORDER BY seq", ())
        return [_outbox_from_row(row) for row in rows]

    def count(self, *, pending_only: bool = False) -> int:
        sql = "SELECT count(*) FROM outbox_events"
        if pending_only:
            sql += " WHERE delivered_at IS NULL"
        return int(self._uow.query(sql, ())[0][0])


def migrate(conn: psycopg.Connection[Any]) -> list[str]:
    """Apply the :data:`MIGRATIONS` missing from the connection's schema; their names.

    The advisory lock makes concurrent starts wait for each other instead of racing on
    ``CREATE TABLE``.
    """
    applied: list[str] = []
    with conn.transaction():
        conn.execute("SELECT pg_advisory_xact_lock(%s)", (MIGRATION_LOCK_ID,))
        conn.execute(
            "CREATE TABLE IF NOT EXISTS sync_sdk_migrations (version integer PRIMARY KEY,"
            " name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())"
        )
        rows = conn.execute(
            "SELECT version, name FROM sync_sdk_migrations ORDER BY version"
        ).fetchall()
        done = {row[0] for row in rows}
        if done - {version for version, _, _ in MIGRATIONS}:
            # a newer sync_sdk's schema: writing to it with this version's SQL could corrupt it
            (newest, newest_name), (ours, ours_name, _) = rows[-1], MIGRATIONS[-1]
            raise StorageError(
                f"the database was migrated by a newer sync_sdk: its newest migration is"
                f" {newest} ({newest_name}), this sync_sdk knows up to {ours} ({ours_name});"
                " upgrade sync_sdk to open it"
            )
        for version, name, statements in MIGRATIONS:
            if version in done:
                continue
            for statement in statements:
                conn.execute(statement)
            conn.execute(
                "INSERT INTO sync_sdk_migrations (version, name) VALUES (%s, %s)", (version, name)
            )
            applied.append(name)
    return applied


def _use_utc(conn: psycopg.Connection[Any]) -> None:
    # timestamptz values then load as datetimes in datetime.UTC, whatever the server's zone.
    conn.execute("SET TIME ZONE 'UTC'")


class PostgresStorage:
    """PostgreSQL through psycopg 3, with a pool of ``min_size``..``max_size`` connections.

    Safe to share between threads: each unit of work takes its own connection from the pool,
    waiting up to ``timeout`` seconds for one (by default the URL's ``pool_timeout``, else
    :data:`DEFAULT_POOL_TIMEOUT`), then raising :class:`StorageError`. Several processes may
    share the database.

        >>> from sync_sdk.storage.postgres import PostgresStorage
        >>> PostgresStorage("postgresql://app:secret@127.0.0.1:1/sync")  # doctest: +ELLIPSIS
        Traceback (most recent call last):
        ...
        sync_sdk.errors.StorageError: cannot open PostgreSQL database postgresql://app:***@...

    With a server::

        storage = PostgresStorage("postgresql://app:secret@127.0.0.1:5432/sync")
        hub = SyncHub(storage)            # or simply SyncHub("postgresql://...")
        storage.url                       # 'postgresql://app:***@127.0.0.1:5432/sync'
    """

    def __init__(
        self, url: str, *, min_size: int = 1, max_size: int = 10, timeout: float | None = None
    ) -> None:
        self.url = redact_url(url)
        self._redactor = _Redactor(url)
        self._closed = False
        url, url_timeout = _take_pool_timeout(url)
        if timeout is not None:
            url_timeout = _seconds("timeout", timeout)
        #: Seconds a unit of work waits for a connection before :class:`StorageError`.
        self.pool_timeout = DEFAULT_POOL_TIMEOUT if url_timeout is None else url_timeout
        try:
            options = conninfo_to_dict(url)
            connect_timeout: dict[str, Any] = {}
            if "connect_timeout" not in options:
                # whole seconds, at least libpq's 2: an unreachable host fails as a busy pool does
                connect_timeout["connect_timeout"] = max(2, math.ceil(self.pool_timeout))
            with psycopg.connect(url, autocommit=True, **connect_timeout) as conn:
                migrate(conn)
        except psycopg.Error as exc:
            raise self._redactor.error(f"cannot open PostgreSQL database {self.url}", exc) from exc
        except StorageError as exc:
            raise StorageError(f"cannot open PostgreSQL database {self.url}: {exc}") from exc
        self._pool: ConnectionPool[psycopg.Connection[Any]] = ConnectionPool(
            url,
            min_size=min_size,
            max_size=max_size,
            timeout=self.pool_timeout,
            kwargs={"autocommit": True, "prepare_threshold": 0, **connect_timeout},
            configure=_use_utc,
            name="sync_sdk",
            open=True,
        )

    def ensure_tables(self, tables: Sequence[Table[Any]]) -> None:
        """Create the entity tables (and their indexes) that the schema lacks yet, under the
        migration lock, so that processes starting together do not race."""
        if self._closed:
            raise StorageError("storage is closed")
        try:
            with self._pool.connection() as conn:
                names = [t.name for t in tables]
                rows = conn.execute(
                    "SELECT name FROM unnest(%s::text[]) AS name WHERE to_regclass(name) IS NULL",
                    (names,),
                ).fetchall()
                missing = {row[0] for row in rows}
                if not missing:
                    return
                with conn.transaction():
                    conn.execute("SELECT pg_advisory_xact_lock(%s)", (MIGRATION_LOCK_ID,))
                    for table in tables:
                        if table.name in missing:
                            for statement in ddl(table, DIALECT):
                                conn.execute(statement)
        except PoolTimeout as exc:
            raise self._redactor.error(
                f"no PostgreSQL connection within pool_timeout={self.pool_timeout:g} s", exc
            ) from exc
        except psycopg.Error as exc:
            raise self._redactor.error("PostgreSQL error", exc) from exc

    @contextmanager
    def unit_of_work(self, *, write: bool = True) -> Iterator[_PostgresUnitOfWork]:
        if self._closed:
            raise StorageError("storage is closed")
        try:
            conn = self._pool.getconn()
        except PoolTimeout as exc:
            raise self._redactor.error(
                f"no PostgreSQL connection within pool_timeout={self.pool_timeout:g} s", exc
            ) from exc
        except psycopg.Error as exc:
            raise self._redactor.error("no PostgreSQL connection", exc) from exc
        uow = _PostgresUnitOfWork(conn, write, self._redactor)
        try:
            yield uow
        finally:
            uow.discard()
            self._pool.putconn(conn)

    def close(self) -> None:
        if not self._closed:
            self._closed = True
            self._pool.close()

    def __repr__(self) -> str:
        return f"PostgresStorage({self.url!r})"
