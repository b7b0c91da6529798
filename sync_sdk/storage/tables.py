"""Entity tables, declared once and derived from the model's attrs fields.

An operation that keeps records of its own declares a :class:`Table`: the model whose fields are
its columns, any extra (hidden) columns, indexes and partial unique constraints. Every backend
stores any table from that one declaration, so that adding an operation needs no edit of the
storage backends::

    >>> from sync_sdk.models import Integration
    >>> INTEGRATIONS = Table("integrations", Integration,
    ...     extra=(Column("created_by", "text"),))
    >>> [c.name for c in INTEGRATIONS.columns][:4]
    ['id', 'name', 'slug', 'description']
    >>> INTEGRATIONS.column("status").kind
    'enum'

Every row also has the org it belongs to: rows are found by ``(org_id, id)`` (the primary key)
and every query is scoped to one org. A unit of work hands out a repository per table
(``uow.table(INTEGRATIONS)``, a :class:`TableRepository`); a row that breaks the primary key or a
:class:`Unique` constraint raises :class:`UniqueViolation` (the pipeline retries its unit of
work once, where the handler then sees the row that won).

The SQL backends share the statements built here (:class:`SqlDialect`, :class:`SqlTable`):
only how a statement is sent differs.

.. versionadded:: 0.2.0
"""

from __future__ import annotations

import enum
import functools
import json
import types
import typing
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any, Generic, Literal, NoReturn, Protocol, TypeVar

import attrs
from attrs import frozen

from sync_sdk.models import converter

__all__ = [
    "Before",
    "Column",
    "SqlDialect",
    "SqlRunner",
    "SqlTable",
    "Table",
    "TableRepository",
    "Unique",
    "UniqueViolation",
    "Where",
]

T = TypeVar("T")

#: What a column holds: text, a boolean, a 64-bit integer, an aware UTC time, a member of a
#: ``StrEnum`` (stored as its value), or any JSON value (also attrs models and tuples of them).
Kind = Literal["text", "bool", "int", "time", "enum", "json"]

_MAX_OFFSET = 2**63 - 1

#: Filters on columns: ``{"status": "PENDING"}``; a tuple value means "one of", ``None``
#: "is NULL", and :class:`Before` "at or before" (a NULL never is).
Where = Mapping[str, object]


@frozen
class Before:
    """A :data:`Where` value: the column holds a value at or before ``value``.

    >>> Before(3).holds(2), Before(3).holds(None)
    (True, False)
    """

    value: Any

    def holds(self, stored: object) -> bool:
        return stored is not None and stored <= self.value


class UniqueViolation(Exception):
    """A row broke ``(org_id, id)`` or a :class:`Unique` constraint of its table."""

    def __init__(self, table: str, constraint: str) -> None:
        super().__init__(f"{table}: {constraint}")
        self.table = table
        self.constraint = constraint


@frozen
class Column:
    """One column: ``kind`` (see :data:`Kind`), and whether it may be NULL. ``python`` is the
    annotation that decodes a ``json`` or ``enum`` value (None: as stored)."""

    name: str
    kind: Kind
    nullable: bool = True
    python: Any = None


@frozen(eq=False)
class Unique:
    """A unique constraint on ``columns`` within an org, only over rows whose ``when`` columns
    hold one of the values given (a partial unique index in SQL).

    >>> Unique("active", ("sync_config_id",), when={"status": ("PENDING", "RUNNING")}).name
    'active'
    """

    name: str
    columns: tuple[str, ...]
    when: Mapping[str, tuple[str, ...]] = attrs.field(factory=dict)

    def applies(self, row: Mapping[str, object]) -> bool:
        """Whether ``row`` is held to the constraint: it meets ``when``, and none of its
        ``columns`` is NULL (NULLs are distinct in a unique index, as in SQL)."""
        return all(row[c] is not None for c in self.columns) and all(
            _plain(row[c]) in values for c, values in self.when.items()
        )


def _plain(value: object) -> object:
    return value.value if isinstance(value, enum.Enum) else value


def _column_for(name: str, annotation: Any) -> Column:
    kind = annotation
    nullable = False
    if isinstance(kind, types.UnionType) or typing.get_origin(kind) is typing.Union:
        args = [a for a in typing.get_args(kind) if a is not type(None)]
        nullable = len(args) < len(typing.get_args(kind))
        kind = args[0] if len(args) == 1 else Any
    if kind is Any:
        return Column(name, "json", True)
    if kind is bool:
        return Column(name, "bool", nullable)
    if kind is int:
        return Column(name, "int", nullable)
    if kind is str:
        return Column(name, "text", nullable)
    if kind is datetime:
        return Column(name, "time", nullable)
    if isinstance(kind, type) and issubclass(kind, enum.StrEnum):
        return Column(name, "enum", nullable, kind)
    return Column(name, "json", nullable, annotation)


@frozen(eq=False)
class Table(Generic[T]):
    """A table of ``model`` rows: one column per attrs field, then the ``extra`` ones (hidden
    from the model: the row's creator, an encrypted secret, a parent's id...), in that order.
    The model must have an ``id`` field. ``indexes`` are column tuples looked up within an org.
    """

    name: str
    model: type[T]
    extra: tuple[Column, ...] = ()
    indexes: tuple[tuple[str, ...], ...] = ()
    unique: tuple[Unique, ...] = ()
    #: Column tuples looked up across orgs (by :meth:`TableRepository.lock`).
    global_indexes: tuple[tuple[str, ...], ...] = ()
    columns: tuple[Column, ...] = attrs.field(init=False)

    @columns.default
    def _columns(self) -> tuple[Column, ...]:
        hints = typing.get_type_hints(self.model)
        fields = tuple(
            _column_for(f.name, hints[f.name]) for f in attrs.fields(typing.cast(Any, self.model))
        )
        if not any(c.name == "id" for c in fields):
            raise TypeError(f"table {self.name}: model {self.model.__name__} has no id field")
        return fields + self.extra

    _by_name: Mapping[str, Column] = attrs.field(init=False, repr=False)
    #: The columns of the model's fields (the others are the extra ones).
    model_columns: tuple[Column, ...] = attrs.field(init=False, repr=False)

    @_by_name.default
    def _names(self) -> Mapping[str, Column]:
        return {c.name: c for c in self.columns}

    @model_columns.default
    def _model_columns(self) -> tuple[Column, ...]:
        return self.columns[: len(attrs.fields(typing.cast(Any, self.model)))]

    def column(self, name: str) -> Column:
        """The column ``name``; ``KeyError`` naming the table for an unknown one."""
        try:
            return self._by_name[name]
        except KeyError:
            raise KeyError(f"table {self.name} has no column {name!r}") from None

    def values(self, item: T, extra: Mapping[str, object] | None = None) -> dict[str, object]:
        """The row of ``item`` (and its ``extra`` column values; unset ones are NULL)."""
        row = {c.name: getattr(item, c.name) for c in self.model_columns}
        extra = extra or {}
        unknown = set(extra) - {c.name for c in self.extra}
        if unknown:
            raise KeyError(f"table {self.name} has no extra column {sorted(unknown)}")
        for column in self.extra:
            row[column.name] = extra.get(column.name)
        return row

    def build(self, row: Mapping[str, object]) -> T:
        """The model of a decoded row (extra columns ignored)."""
        return self.model(**{c.name: row[c.name] for c in self.model_columns})


class TableRepository(Protocol[T]):
    """Rows of one :class:`Table` within a unit of work, always scoped to one org."""

    def add(self, org_id: str, item: T, extra: Mapping[str, object] | None = None) -> None:
        """Insert a row; :class:`UniqueViolation` if it breaks the key or a unique constraint
        (at once, or when the unit of work commits)."""
        ...

    def get(self, org_id: str, item_id: str) -> T | None: ...

    def value(self, org_id: str, item_id: str, column: str) -> object:
        """One column of a row (an extra one, typically); None when there is no such row."""
        ...

    def find(
        self,
        org_id: str,
        where: Where | None = None,
        *,
        newest_first: bool = False,
        limit: int | None = None,
        offset: int = 0,
    ) -> list[T]:
        """The org's rows matching ``where``, in insertion order (or the reverse)."""
        ...

    def count(self, org_id: str, where: Where | None = None) -> int: ...

    def update(
        self,
        org_id: str,
        item_id: str,
        changes: Mapping[str, object],
        *,
        expect: Where | None = None,
    ) -> bool:
        """Set columns of a row, only if it matches ``expect`` (a compare-and-set); whether it
        was changed."""
        ...

    def lock(
        self,
        where: Where,
        *,
        limit: int,
        order_by: str | None = None,
        org_id: str | None = None,
    ) -> list[tuple[str, T]]:
        """Up to ``limit`` rows of any org (or of ``org_id``) matching ``where``, oldest first
        (or by ``order_by``), each with its org, locked until the unit of work ends: other
        units of work skip them (``FOR UPDATE SKIP LOCKED`` on PostgreSQL; SQLite and memory
        hold the store's write lock already)."""
        ...


# -- SQL, shared by the SQLite and PostgreSQL backends -------------------------------------


@frozen(eq=False)
class SqlDialect:
    """How one SQL database spells what :class:`SqlTable` needs."""

    name: str
    placeholder: str  # "?" or "%s"
    types: Mapping[str, str]  # Kind -> column type
    order_column: str  # insertion order: "rowid", or an identity column
    identity: str  # DDL of that column ("" when implicit)
    encode_json: Callable[[Any], object]  # a wire value as the driver's JSON parameter
    decode_json: Callable[[Any], Any]  # a stored JSON column as wire values
    encode_time: Callable[[datetime], object]
    decode_time: Callable[[Any], datetime]
    bool_param: Callable[[bool], object]
    skip_locked: str = ""  # appended to a locking SELECT: " FOR UPDATE SKIP LOCKED" where known


def _quote(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


class SqlRunner(Protocol):
    """How a backend sends :class:`SqlTable`'s statements (its open transaction)."""

    def write(self, table: str, sql: str, params: Sequence[object]) -> int:
        """Run a write; the number of rows it changed (-1 when the backend sends it later)."""
        ...

    def read(self, sql: str, params: Sequence[object]) -> list[tuple[Any, ...]]: ...

    def read_locked(self, sql: str, params: Sequence[object]) -> list[tuple[Any, ...]]:
        """Run a read that takes row locks: inside the transaction."""
        ...


def ddl(table: Table[Any], dialect: SqlDialect) -> list[str]:
    """The statements creating ``table`` and its indexes, if they do not exist yet."""
    columns = [f"{dialect.identity}"] if dialect.identity else []
    columns.append("org_id text NOT NULL")
    for c in table.columns:
        columns.append(f"{c.name} {dialect.types[c.kind]}{'' if c.nullable else ' NOT NULL'}")
    columns.append("PRIMARY KEY (org_id, id)")
    statements = [f"CREATE TABLE IF NOT EXISTS {table.name} ({', '.join(columns)})"]
    for index in table.indexes:
        name = f"{table.name}_{'_'.join(index)}"
        # SQLite's indexes end in the rowid already: only an identity column is named
        order = (dialect.order_column,) if dialect.identity else ()
        cols = ", ".join(("org_id", *index, *order))
        statements.append(f"CREATE INDEX IF NOT EXISTS {name} ON {table.name} ({cols})")
    for index in table.global_indexes:
        name = f"{table.name}_{'_'.join(index)}"
        order = (dialect.order_column,) if dialect.identity else ()
        cols = ", ".join((*index, *order))
        statements.append(f"CREATE INDEX IF NOT EXISTS {name} ON {table.name} ({cols})")
    for unique in table.unique:
        where = " AND ".join(
            f"{column} IN ({', '.join(_quote(v) for v in values)})"
            for column, values in unique.when.items()
        )
        statements.append(
            f"CREATE UNIQUE INDEX IF NOT EXISTS {table.name}_{unique.name}"
            f" ON {table.name} (org_id, {', '.join(unique.columns)})"
            + (f" WHERE {where}" if where else "")
        )
    return statements


class SqlTable(Generic[T]):
    """:class:`TableRepository` for any SQL backend: statements from the table's columns."""

    def __init__(self, table: Table[T], dialect: SqlDialect, runner: SqlRunner) -> None:
        self._table = table
        self._dialect = dialect
        self._runner = runner
        self._codec = _codec(table, dialect)

    def add(self, org_id: str, item: T, extra: Mapping[str, object] | None = None) -> None:
        row = self._table.values(item, extra)
        params: list[object] = [org_id]
        # the codec's encoders in column order; None for a column stored as it is
        for value, encode in zip(row.values(), self._codec.encoders, strict=True):
            params.append(value if encode is None or value is None else encode(value))
        self._runner.write(self._table.name, self._codec.insert, params)

    def get(self, org_id: str, item_id: str) -> T | None:
        rows = self._runner.read(self._codec.select_one, [org_id, item_id])
        return self._codec.model(rows[0]) if rows else None

    def value(self, org_id: str, item_id: str, column: str) -> object:
        col = self._table.column(column)
        sql = (
            f"SELECT {col.name} FROM {self._table.name} WHERE org_id = {self._p} AND id = {self._p}"
        )
        rows = self._runner.read(sql, [org_id, item_id])
        return self._codec.decode[col.name](rows[0][0]) if rows else None

    def find(
        self,
        org_id: str,
        where: Where | None = None,
        *,
        newest_first: bool = False,
        limit: int | None = None,
        offset: int = 0,
    ) -> list[T]:
        clause, params = self._where(org_id, where)
        # both databases count rows in 64-bit integers: a larger offset is past the end as well
        offset = min(offset, _MAX_OFFSET)
        order = f"{self._dialect.order_column}{' DESC' if newest_first else ''}"
        sql = (
            f"SELECT {self._codec.model_list} FROM {self._table.name}"
            f" WHERE {clause} ORDER BY {order}"
        )
        if limit is not None:
            sql += f" LIMIT {self._p} OFFSET {self._p}"
            params += [limit, offset]
        elif offset:
            sql += (
                f" LIMIT -1 OFFSET {self._p}"
                if self._dialect.name == "sqlite"
                else (f" OFFSET {self._p}")
            )
            params.append(offset)
        model = self._codec.model
        return [model(row) for row in self._runner.read(sql, params)]

    def count(self, org_id: str, where: Where | None = None) -> int:
        clause, params = self._where(org_id, where)
        rows = self._runner.read(f"SELECT count(*) FROM {self._table.name} WHERE {clause}", params)
        return int(rows[0][0])

    def update(
        self,
        org_id: str,
        item_id: str,
        changes: Mapping[str, object],
        *,
        expect: Where | None = None,
    ) -> bool:
        if not changes:
            return self.get(org_id, item_id) is not None
        encoders = self._codec.encode
        params = [
            (encoders.get(name) or _no_column(self._table, name))(value)
            for name, value in changes.items()
        ]
        clause, where_params = self._where(org_id, {**(expect or {}), "id": item_id})
        sql = _update_sql(self._table, self._dialect, tuple(changes), clause)
        changed = self._runner.write(self._table.name, sql, [*params, *where_params])
        return changed != 0

    def lock(
        self,
        where: Where,
        *,
        limit: int,
        order_by: str | None = None,
        org_id: str | None = None,
    ) -> list[tuple[str, T]]:
        clause, params = self._where(org_id, where)
        order = (
            self._dialect.order_column if order_by is None else self._table.column(order_by).name
        )
        sql = (
            f"SELECT org_id, {self._codec.model_list} FROM {self._table.name} WHERE {clause}"
            f" ORDER BY {order} LIMIT {self._p}{self._dialect.skip_locked}"
        )
        model = self._codec.model
        rows = self._runner.read_locked(sql, [*params, limit])
        return [(row[0], model(row[1:])) for row in rows]

    @property
    def _p(self) -> str:
        return self._dialect.placeholder

    def _where(self, org_id: str | None, where: Where | None) -> tuple[str, list[object]]:
        params: list[object] = [] if org_id is None else [org_id]
        if not where:
            return _where_sql(self._table, self._dialect, org_id is not None, ()), params
        shape: list[tuple[str, object]] = []
        encoders = self._codec.encode
        for name, value in where.items():
            encode = encoders.get(name) or _no_column(self._table, name)
            if isinstance(value, Before):
                shape.append((name, "<="))
                params.append(encode(value.value))
            elif isinstance(value, tuple):
                shape.append((name, len(value)))
                params.extend(encode(v) for v in value)
            elif value is None:
                shape.append((name, None))
            else:
                shape.append((name, "="))
                params.append(encode(value))
        return _where_sql(self._table, self._dialect, org_id is not None, tuple(shape)), params


def _no_column(table: Table[Any], name: str) -> NoReturn:
    table.column(name)  # raises KeyError, naming the table
    raise AssertionError(name)  # pragma: no cover - every column has an encoder


# The text of a statement depends only on the names and kinds of its filters and changes: built
# once each (a worker sends the same few statements for every run).


@functools.lru_cache(maxsize=1024)
def _where_sql(
    table: Table[Any], dialect: SqlDialect, by_org: bool, shape: tuple[tuple[str, object], ...]
) -> str:
    """The WHERE clause of :meth:`SqlTable._where` for filters of ``shape``: (column, ``"="``,
    ``"<="``, ``None`` for IS NULL, or the number of values of an IN)."""
    p = dialect.placeholder
    clauses = [f"org_id = {p}"] if by_org else []
    for name, kind in shape:
        table.column(name)  # KeyError for a column the table does not have
        if kind == "<=":
            clauses.append(f"{name} <= {p}")
        elif kind is None:
            clauses.append(f"{name} IS NULL")
        elif kind == "=":
            clauses.append(f"{name} = {p}")
        elif kind:
            clauses.append(f"{name} IN ({', '.join([p] * int(str(kind)))})")
        else:
            clauses.append("1 = 0")
    return " AND ".join(clauses) or "1 = 1"


@functools.lru_cache(maxsize=1024)
def _update_sql(table: Table[Any], dialect: SqlDialect, names: tuple[str, ...], where: str) -> str:
    for name in names:
        table.column(name)  # KeyError for a column the table does not have
        if name == "id":
            raise KeyError(f"table {table.name}: the id of a row does not change")
    sets = ", ".join(f"{name} = {dialect.placeholder}" for name in names)
    return f"UPDATE {table.name} SET {sets} WHERE {where}"


@frozen
class _Codec:
    insert: str
    select_one: str
    model_list: str
    encode: Mapping[str, Callable[[object], object]]
    decode: Mapping[str, Callable[[object], object]]
    model: Callable[[Sequence[object]], Any]
    #: the encoders of the non-NULL values of the columns, in order; None: stored as it is
    encoders: tuple[Callable[[Any], object] | None, ...]


def _encoder(column: Column, dialect: SqlDialect) -> Callable[[object], object]:
    def nullable(function: Callable[[Any], object]) -> Callable[[object], object]:
        return lambda value: None if value is None else function(value)

    if column.kind == "bool":
        return nullable(dialect.bool_param)
    if column.kind == "time":
        return nullable(dialect.encode_time)
    if column.kind == "enum":
        return nullable(lambda value: _plain(value))
    if column.kind == "json":
        unstructure = converter().unstructure
        python = column.python
        if python is None:
            return nullable(dialect.encode_json)
        return nullable(lambda value: dialect.encode_json(unstructure(value, python)))
    return _as_is


def _as_is(value: object) -> object:
    return value


def _value_encoder(column: Column, dialect: SqlDialect) -> Callable[[Any], object] | None:
    """How a non-NULL value of ``column`` is sent; None when as it is."""
    if column.kind == "bool":
        return dialect.bool_param
    if column.kind == "time":
        return dialect.encode_time
    if column.kind == "enum":
        return _plain
    if column.kind == "json":
        return _encoder(column, dialect)
    return None


def _decoder(column: Column, dialect: SqlDialect) -> Callable[[object], object]:
    def nullable(function: Callable[[Any], object]) -> Callable[[object], object]:
        return lambda value: None if value is None else function(value)

    if column.kind == "bool":
        return nullable(bool)
    if column.kind == "time":
        return nullable(dialect.decode_time)
    if column.kind == "enum":
        return nullable(column.python)
    if column.kind == "json":
        python = column.python
        if python is None:
            return nullable(dialect.decode_json)
        structure = converter().structure
        return nullable(lambda value: structure(dialect.decode_json(value), python))
    return lambda value: value


@functools.cache
def _codec(table: Table[Any], dialect: SqlDialect) -> _Codec:
    p = dialect.placeholder
    names = [c.name for c in table.columns]
    model_names = [c.name for c in table.model_columns]
    insert = (
        f"INSERT INTO {table.name} (org_id, {', '.join(names)})"
        f" VALUES ({', '.join([p] * (len(names) + 1))})"
    )
    model_list = ", ".join(model_names)
    select_one = f"SELECT {model_list} FROM {table.name} WHERE org_id = {p} AND id = {p}"
    encode = {c.name: _encoder(c, dialect) for c in table.columns}
    decode = {c.name: _decoder(c, dialect) for c in table.columns}
    build = table.model
    # only the columns whose stored value is not the model's: times, enums, booleans, JSON
    converted = [
        (index, decode[name])
        for index, (name, column) in enumerate(zip(model_names, table.model_columns, strict=True))
        if column.kind not in ("text", "int")
    ]

    def model(row: Sequence[object]) -> Any:
        values = list(row)
        for index, convert in converted:
            values[index] = convert(values[index])
        return build(**dict(zip(model_names, values, strict=True)))

    encoders = tuple(_value_encoder(c, dialect) for c in table.columns)
    return _Codec(insert, select_one, model_list, encode, decode, model, encoders)


# The last time written and its text: one unit of work stamps several columns with one time
_last_iso: tuple[datetime | None, str] = (None, "")


def iso_time(value: datetime) -> str:
    """A UTC time as fixed-width ISO 8601 text, which sorts as the times do."""
    global _last_iso
    last, text = _last_iso  # one read of a tuple: safe across threads
    if value is last:
        return text
    utc = value if value.tzinfo is UTC else value.astimezone(UTC)
    # isoformat, unlike strftime's %Y, always writes 4 digits of year
    text = utc.isoformat(timespec="microseconds")
    _last_iso = (value, text)
    return text


def json_text(value: object) -> str:
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False, allow_nan=False)


# -- in memory ------------------------------------------------------------------------------


class MemoryTables:
    """Every table's rows in dicts (the memory backend's); writes go straight in, with an undo
    log that a rollback replays backwards. The backend's lock makes a unit of work exclusive."""

    def __init__(self) -> None:
        # table name -> (org_id, id) -> row (column name -> Python value), in insertion order
        self.rows: dict[str, dict[tuple[str, str], dict[str, object]]] = {}
        self.undo: list[Callable[[], None]] = []

    def repository(self, table: Table[T]) -> MemoryTable[T]:
        return MemoryTable(table, self)

    def commit(self) -> None:
        self.undo = []

    def rollback(self) -> None:
        undo, self.undo = self.undo, []
        for step in reversed(undo):
            step()


class MemoryTable(Generic[T]):
    """:class:`TableRepository` over :class:`MemoryTables`."""

    def __init__(self, table: Table[T], store: MemoryTables) -> None:
        self._table = table
        self._store = store
        self._rows = store.rows.setdefault(table.name, {})

    def add(self, org_id: str, item: T, extra: Mapping[str, object] | None = None) -> None:
        row = self._table.values(item, extra)
        key = (org_id, typing.cast(str, row["id"]))
        if key in self._rows:
            raise UniqueViolation(self._table.name, f"{self._table.name}_pkey")
        self._check_unique(org_id, key[1], row)
        self._rows[key] = row

        def undo_add() -> None:
            self._rows.pop(key, None)

        self._store.undo.append(undo_add)

    def _check_unique(self, org_id: str, item_id: str, row: Mapping[str, object]) -> None:
        """:class:`UniqueViolation` when ``row`` (to be stored as ``item_id``) and another row
        of the org break one of the table's unique constraints."""
        for unique in self._table.unique:
            if not unique.applies(row):
                continue
            mine = [_plain(row[c]) for c in unique.columns]
            for (org, other_id), other in self._rows.items():
                if (
                    org == org_id
                    and other_id != item_id
                    and unique.applies(other)
                    and [_plain(other[c]) for c in unique.columns] == mine
                ):
                    raise UniqueViolation(self._table.name, f"{self._table.name}_{unique.name}")

    def get(self, org_id: str, item_id: str) -> T | None:
        row = self._rows.get((org_id, item_id))
        return None if row is None else self._table.build(row)

    def value(self, org_id: str, item_id: str, column: str) -> object:
        self._table.column(column)
        row = self._rows.get((org_id, item_id))
        return None if row is None else row[column]

    def _matching(
        self, org_id: str | None, where: Where | None
    ) -> list[tuple[str, dict[str, object]]]:
        tests: list[Callable[[Mapping[str, object]], bool]] = []
        for name, value in (where or {}).items():
            self._table.column(name)
            tests.append(_test(name, value))
        return [
            (org, row)
            for (org, _), row in self._rows.items()
            if (org_id is None or org == org_id) and all(test(row) for test in tests)
        ]

    def find(
        self,
        org_id: str,
        where: Where | None = None,
        *,
        newest_first: bool = False,
        limit: int | None = None,
        offset: int = 0,
    ) -> list[T]:
        rows = [row for _, row in self._matching(org_id, where)]
        if newest_first:
            rows.reverse()
        end = None if limit is None else offset + limit
        return [self._table.build(row) for row in rows[offset:end]]

    def count(self, org_id: str, where: Where | None = None) -> int:
        return len(self._matching(org_id, where))

    def update(
        self,
        org_id: str,
        item_id: str,
        changes: Mapping[str, object],
        *,
        expect: Where | None = None,
    ) -> bool:
        row = self._rows.get((org_id, item_id))
        if row is None:
            return False
        for name in changes:
            self._table.column(name)
            if name == "id":
                raise KeyError(f"table {self._table.name}: the id of a row does not change")
        for name, value in (expect or {}).items():
            self._table.column(name)
            if not _test(name, value)(row):
                return False
        before = dict(row)
        self._check_unique(org_id, item_id, {**row, **changes})
        row.update(changes)

        def undo() -> None:
            row.clear()
            row.update(before)

        self._store.undo.append(undo)
        return True

    def lock(
        self,
        where: Where,
        *,
        limit: int,
        order_by: str | None = None,
        org_id: str | None = None,
    ) -> list[tuple[str, T]]:
        found = self._matching(org_id, where)
        if order_by is not None:
            self._table.column(order_by)
            found.sort(key=lambda pair: _sort_key(pair[1][order_by]))
        return [(org, self._table.build(row)) for org, row in found[:limit]]


def _sort_key(value: object) -> tuple[bool, Any]:
    return (value is None, value)


def _test(name: str, value: object) -> Callable[[Mapping[str, object]], bool]:
    """The memory backend's test of one :data:`Where` entry on a row."""
    if isinstance(value, Before):
        return lambda row: value.holds(row[name])
    if isinstance(value, tuple):
        allowed = tuple(_plain(v) for v in value)
        return lambda row: _plain(row[name]) in allowed
    one = _plain(value)
    return lambda row: _plain(row[name]) == one
