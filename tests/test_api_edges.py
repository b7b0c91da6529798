"""The edges of the API: wrong settings, odd arguments, JSON-ready records, audit paging.

Where storage is involved the tests run on every backend (the ``url`` and ``hub`` fixtures).
"""

from __future__ import annotations

import json
import logging
import math
import sqlite3
import sys
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import attrs
import pytest

import sync_sdk
from sync_sdk import (
    Actor,
    AuditRecord,
    ConfigurationError,
    ConfigurationTypeError,
    Conflict,
    CreateSyncConfigInput,
    EventEnvelope,
    FieldMapping,
    MappingType,
    Page,
    SyncConfig,
    SyncDirection,
    SyncHub,
    SyncSdkError,
    ValidationError,
    signals,
)
from sync_sdk.records import OutboxEvent
from sync_sdk.storage import open_storage
from sync_sdk.storage.sqlite import SqliteStorage

from .conftest import OTHER_ORG_USER, USER, VALID_INPUT, counts, postgres_schema_url

NOW = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)


def issues(err: pytest.ExceptionInfo[ValidationError]) -> set[tuple[str, str]]:
    return {(i.path, i.code) for i in err.value.issues}


def ids(*values: object) -> Any:
    """An ``id_factory`` returning ``values`` in turn."""
    it: Iterator[object] = iter(values)
    return lambda: next(it)


# -- 11: configuration errors ------------------------------------------------------------------


@pytest.mark.parametrize("storage", [123, b"sqlite://", object(), ["memory://"]])
def test_a_storage_of_the_wrong_type_is_a_configuration_type_error(storage: object) -> None:
    with pytest.raises(ConfigurationTypeError, match=type(storage).__name__) as info:
        SyncHub(storage)  # type: ignore[arg-type]
    assert isinstance(info.value, TypeError)
    assert isinstance(info.value, ConfigurationError)
    assert isinstance(info.value, SyncSdkError)


@pytest.mark.parametrize("setting", ["clock", "id_factory"])
@pytest.mark.parametrize("value", ["now", 5, 0])
def test_a_clock_or_id_factory_that_cannot_be_called_is_refused(
    setting: str, value: object
) -> None:
    with pytest.raises(ConfigurationTypeError, match=f"{setting} must be callable"):
        SyncHub("memory://", **{setting: value})  # type: ignore[arg-type]


@pytest.mark.parametrize("returned", ["2026-01-01T00:00:00+00:00", 1767225600, None])
def test_a_clock_that_returns_no_datetime_writes_nothing(returned: object) -> None:
    with SyncHub("memory://", clock=lambda: returned) as hub:  # type: ignore[arg-type,return-value]
        with pytest.raises(ConfigurationTypeError, match="clock must return a datetime"):
            hub.create_sync_config(VALID_INPUT, actor=USER)
        assert counts(hub) == (0, 0, 0)


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("mysql://db", "unknown storage URL"),
        ("nope", "unknown storage URL"),
        ("", "unknown storage URL"),
        ("sqlite:///{tmp}/x.db?journal=off", "unknown SQLite URL option"),
        ("sqlite:///{tmp}/x.db?synchronous", "synchronous must be one of"),
        ("sqlite:///{tmp}/x.db?synchronous=", "synchronous must be one of"),
        ("sqlite:///{tmp}/x.db?synchronous=bogus", "synchronous must be one of"),
        ("sqlite:///{tmp}/x.db?synchronous=FULL&synchronous=OFF", "more than once"),
    ],
)
def test_a_bad_storage_url_is_a_configuration_error(url: str, message: str, tmp_path: Path) -> None:
    for opener in (open_storage, SyncHub):
        with pytest.raises(ConfigurationError, match=message) as info:
            opener(url.format(tmp=tmp_path))
        assert isinstance(info.value, ValueError)  # what it raised before, still caught
        assert info.value.to_problem()["status"] == 500
        assert info.value.to_problem()["code"] == "CONFIGURATION_ERROR"
    assert list(tmp_path.iterdir()) == []  # no database file was made


def test_open_storage_refuses_a_url_that_is_not_text() -> None:
    with pytest.raises(ConfigurationTypeError, match="int"):
        open_storage(5)  # type: ignore[arg-type]


def test_without_its_driver_a_postgres_url_names_the_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "sync_sdk.storage.postgres", None)  # its import now fails
    with pytest.raises(ConfigurationError, match="install the `postgres` extra") as info:
        open_storage("postgresql://app:s3cret@127.0.0.1:5432/sync")
    # sync_sdk is not on a package index: no "pip install 'sync_sdk[postgres]'" to copy
    assert "pip install" not in str(info.value)
    assert "s3cret" not in str(info.value)


def test_sqlite_storage_checks_its_synchronous_setting(tmp_path: Path) -> None:
    with pytest.raises(ConfigurationError, match="FULL"):
        SqliteStorage(str(tmp_path / "x.db"), synchronous="bogus")
    with pytest.raises(ConfigurationTypeError, match="int"):
        SqliteStorage(str(tmp_path / "x.db"), synchronous=1)  # type: ignore[arg-type]
    assert list(tmp_path.iterdir()) == []
    storage = SqliteStorage(str(tmp_path / "x.db"), synchronous="normal")  # any case
    assert storage.synchronous == "NORMAL"
    storage.close()


@pytest.mark.parametrize("bad", [42, None, b"sync_1", ("sync_1",)])
def test_an_id_factory_returning_a_non_str_writes_nothing(url: str, bad: object) -> None:
    with SyncHub(url, id_factory=ids(bad, "sync_a", bad)) as hub:
        with pytest.raises(ConfigurationTypeError, match="id_factory must return a str"):
            hub.create_sync_config(VALID_INPUT, actor=USER)
        with pytest.raises(ConfigurationTypeError, match=type(bad).__name__):
            hub.create_sync_configs([VALID_INPUT, VALID_INPUT], actor=USER)  # the second id
        assert counts(hub) == (0, 0, 0)


def test_an_id_factory_returning_a_used_id_is_a_conflict(url: str) -> None:
    factory = ids("sync_a", "sync_a", "sync_b", "sync_b", "sync_c", "sync_a", "sync_d")
    with SyncHub(url, id_factory=factory) as hub:
        first = hub.create_sync_config(VALID_INPUT, actor=USER)
        with pytest.raises(Conflict, match="id_factory must return unused ids") as single:
            hub.create_sync_config(VALID_INPUT, actor=USER)
        with pytest.raises(Conflict, match="id_factory"):  # twice in one batch
            hub.create_sync_configs([VALID_INPUT, VALID_INPUT], actor=USER)
        with pytest.raises(Conflict, match="id_factory"):  # a stored one in a batch
            hub.create_sync_configs([VALID_INPUT, VALID_INPUT], actor=USER)
        assert counts(hub) == (1, 1, 1)  # nothing of the failed calls was written
        assert "sync_a" in str(single.value)
        assert single.value.to_problem()["status"] == 409
        # the hub goes on working
        assert hub.create_sync_config(VALID_INPUT, actor=USER).id == "sync_d"
        assert hub.get_sync_config("sync_a", actor=USER) == first
        assert counts(hub) == (2, 2, 2)


# -- 11: page arguments ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("arguments", "expected"),
    [
        ({"limit": 0}, {("limit", "out_of_range")}),
        ({"limit": 1001}, {("limit", "out_of_range")}),
        ({"limit": -5}, {("limit", "out_of_range")}),
        ({"offset": -1}, {("offset", "out_of_range")}),
        ({"limit": "5"}, {("limit", "invalid_type")}),
        ({"limit": True}, {("limit", "invalid_type")}),
        ({"limit": 2.0}, {("limit", "invalid_type")}),
        ({"offset": None}, {("offset", "invalid_type")}),
        ({"offset": False}, {("offset", "invalid_type")}),
        ({"limit": 0, "offset": "1"}, {("limit", "out_of_range"), ("offset", "invalid_type")}),
    ],
)
def test_page_arguments_say_whether_the_type_or_the_range_is_wrong(
    hub: SyncHub, arguments: dict[str, Any], expected: set[tuple[str, str]]
) -> None:
    for listing in (hub.list_sync_configs, hub.audit_log):
        with pytest.raises(ValidationError) as info:
            listing(actor=USER, **arguments)
        assert issues(info) == expected


@pytest.mark.parametrize("offset", [2**63 - 1, 2**63, 10**30])
def test_an_offset_past_any_end_is_an_empty_page_on_every_backend(
    hub: SyncHub, offset: int
) -> None:
    hub.create_sync_config(VALID_INPUT, actor=USER)
    page = hub.list_sync_configs(actor=USER, offset=offset)
    assert (list(page.items), page.total, page.offset, page.has_more) == ([], 1, offset, False)
    assert hub.audit_log(actor=USER, offset=offset) == []


# -- 18: redeliver_pending's arguments ---------------------------------------------------------


@pytest.mark.parametrize(
    ("arguments", "expected"),
    [
        ({"lease": "x"}, {("lease", "invalid_type")}),
        ({"lease": None}, {("lease", "invalid_type")}),
        ({"lease": True}, {("lease", "invalid_type")}),
        ({"lease": math.nan}, {("lease", "out_of_range")}),
        ({"lease": math.inf}, {("lease", "out_of_range")}),
        ({"lease": 1e308}, {("lease", "out_of_range")}),
        ({"lease": 10**5000}, {("lease", "out_of_range")}),
        ({"lease": 0}, {("lease", "out_of_range")}),
        ({"lease": -1.0}, {("lease", "out_of_range")}),
        ({"lease": 86_401}, {("lease", "out_of_range")}),
        ({"limit": 2**70}, {("limit", "out_of_range")}),
        ({"limit": 10_001}, {("limit", "out_of_range")}),
        ({"limit": -1}, {("limit", "out_of_range")}),
        ({"limit": 0}, {("limit", "out_of_range")}),
        ({"limit": 1.0}, {("limit", "invalid_type")}),
        ({"limit": True}, {("limit", "invalid_type")}),
        ({"limit": -1, "lease": math.nan}, {("limit", "out_of_range"), ("lease", "out_of_range")}),
    ],
)
def test_redeliver_pending_checks_its_arguments(
    hub: SyncHub,
    arguments: dict[str, Any],
    expected: set[tuple[str, str]],
    caplog: pytest.LogCaptureFixture,
) -> None:
    def broken(sender: object, *, event: EventEnvelope) -> None:
        raise RuntimeError("receiver down")

    with signals.sync_config_created.connected_to(broken), caplog.at_level(logging.CRITICAL):
        hub.create_sync_config(VALID_INPUT, actor=USER)  # one pending event
    with pytest.raises(ValidationError) as info:
        hub.redeliver_pending(**arguments)
    assert issues(info) == expected
    # nothing was claimed: the event is there for the next call, with no lease on it
    assert hub.redeliver_pending(limit=1, lease=0.5) == 1


@pytest.mark.parametrize("arguments", [{"lease": 86_400}, {"lease": 0.001}, {"limit": 10_000}])
def test_redeliver_pending_takes_arguments_in_range(
    hub: SyncHub, arguments: dict[str, Any]
) -> None:
    assert hub.redeliver_pending(**arguments) == 0


# -- 12: to_dict() everywhere -----------------------------------------------------------------


def round_trip(record: Any) -> dict[str, Any]:
    """``record.to_dict()``, checked to be plain JSON: it survives dumps/loads unchanged."""
    data: dict[str, Any] = record.to_dict()
    assert json.loads(json.dumps(data)) == data
    return data


MAPPING = FieldMapping("fm-1", "email", "Email", MappingType.TRANSFORM, True, "lower(email)")


def test_sync_config_to_dict_holds_strings_where_the_wire_has_strings() -> None:
    config = SyncConfig(
        "sync_1", "int-1", "conn-1", "n", SyncDirection.BIDIRECTIONAL, "a", "b",
        field_mappings=(MAPPING,), last_sync_at=NOW,
    )  # fmt: skip
    data = round_trip(config)
    assert type(data["direction"]) is str
    assert type(data["fieldMappings"][0]["mappingType"]) is str
    assert data["lastSyncAt"] == NOW.isoformat()
    assert config.to_json() == json.dumps(data, separators=(",", ":"))
    assert SyncConfig.from_dict(data) == config


def test_field_mapping_and_input_to_dict() -> None:
    assert round_trip(MAPPING) == {
        "id": "fm-1",
        "sourceField": "email",
        "targetField": "Email",
        "mappingType": "TRANSFORM",
        "isRequired": True,
        "transformExpression": "lower(email)",
        # the add input's JSON values, which FieldMapping carries for the run engine
        "lookupConfig": None,
        "constantValue": None,
        "defaultValue": None,
    }
    data = round_trip(CreateSyncConfigInput.from_dict(VALID_INPUT))
    assert type(data["direction"]) is str
    assert data == {**VALID_INPUT, "scheduleEnabled": False, "scheduleCron": None}


def test_actor_to_dict() -> None:
    assert round_trip(Actor(id="u", org_id="o", roles={"b", "admin"})) == {
        "id": "u",
        "orgId": "o",
        "roles": ["admin", "b"],
        "isAnonymous": False,
    }
    assert round_trip(Actor.anonymous())["isAnonymous"] is True


def test_stored_records_to_dict(hub: SyncHub, events: list[EventEnvelope]) -> None:
    config = hub.create_sync_config(VALID_INPUT, actor=USER)
    (record,) = hub.audit_log(actor=USER)
    audit = round_trip(record)
    assert set(audit) == {"key", "actorId", "orgId", "subjectId", "eventId", "occurredAt"}
    assert audit["subjectId"] == config.id
    assert datetime.fromisoformat(audit["occurredAt"]) == record.occurred_at

    page = hub.list_sync_configs(actor=USER, limit=1)
    data = round_trip(page)
    assert data == {
        "items": [config.to_dict()],
        "total": 1,
        "limit": 1,
        "offset": 0,
        "hasMore": False,
    }

    with hub.storage.unit_of_work(write=False) as uow:
        (stored,) = uow.outbox.list()
    outbox = round_trip(stored)
    (event,) = events
    envelope = round_trip(event)
    assert set(envelope) == {"id", "key", "version", "occurredAt", "payload", "actorId", "orgId"}
    assert type(envelope["payload"]["direction"]) is str
    # the outbox row is the envelope, with where it stands
    assert outbox == {
        **envelope,
        "subjectId": config.id,
        "delivered": stored.delivered,
        "claimedUntil": None,
    }


def test_page_and_outbox_event_to_dict_without_storage() -> None:
    page: Page[int] = Page(items=[1, 2], total=5, limit=2, offset=0)
    assert round_trip(page)["hasMore"] is True
    event = OutboxEvent("evt_1", "k", "1.0.0", NOW, "u", "o", "sync_1", '{"id":"sync_1"}')
    claimed = attrs.evolve(event, claimed_until=NOW)
    assert round_trip(claimed)["claimedUntil"] == NOW.isoformat()
    assert round_trip(event)["payload"] == {"id": "sync_1"}


def test_event_envelope_is_exported() -> None:
    from sync_sdk.events import EventEnvelope as Envelope

    assert sync_sdk.EventEnvelope is Envelope
    assert "EventEnvelope" in sync_sdk.__all__
    assert isinstance(AuditRecord, type)


# -- 13: audit_log paging ---------------------------------------------------------------------


def test_audit_log_pages_oldest_first(hub: SyncHub) -> None:
    configs = hub.create_sync_configs([VALID_INPUT] * 5, actor=USER)
    hub.create_sync_config(VALID_INPUT, actor=OTHER_ORG_USER)
    subjects = [c.id for c in configs]

    def page(**arguments: Any) -> list[str]:
        return [r.subject_id for r in hub.audit_log(actor=USER, **arguments)]

    assert page() == subjects
    assert page(limit=2) == subjects[:2]
    assert page(limit=2, offset=2) == subjects[2:4]
    assert page(limit=2, offset=4) == subjects[4:]
    assert page(offset=5) == []
    assert page(subject_id=subjects[3]) == [subjects[3]]
    assert page(subject_id=subjects[3], offset=1) == []
    assert page(subject_id="sync_nope") == []
    other = hub.list_sync_configs(actor=OTHER_ORG_USER).items[0].id
    assert page(subject_id=other) == []  # another org's config: nothing, as if unknown


def test_audit_log_returns_at_most_1000_records(hub: SyncHub) -> None:
    hub.create_sync_configs([VALID_INPUT] * 1001, actor=USER)
    first = hub.audit_log(actor=USER)
    assert len(first) == 1000
    rest = hub.audit_log(actor=USER, offset=1000)
    assert len(rest) == 1
    assert len({r.subject_id for r in first + rest}) == 1001
    with pytest.raises(ValidationError) as info:
        hub.audit_log(actor=USER, limit=1001)
    assert issues(info) == {("limit", "out_of_range")}


@pytest.mark.parametrize(
    ("subject_id", "code"),
    [(5, "invalid_type"), (b"sync_1", "invalid_type"), ("\ud800", "invalid_characters"),
     ("sync\x00", "invalid_characters")],
)  # fmt: skip
def test_audit_log_checks_its_subject_id(hub: SyncHub, subject_id: object, code: str) -> None:
    with pytest.raises(ValidationError) as info:
        hub.audit_log(actor=USER, subject_id=subject_id)  # type: ignore[arg-type]
    assert issues(info) == {("subjectId", code)}


def explained(conn: sqlite3.Connection, run: Any) -> list[str]:
    """The query plans of the SELECTs on audit_records that ``run()`` sends."""
    statements: list[str] = []
    conn.set_trace_callback(statements.append)
    try:
        run()
    finally:
        conn.set_trace_callback(None)
    selects = [s for s in statements if s.startswith("SELECT") and "audit_records" in s]
    assert selects
    return [
        " | ".join(row[3] for row in conn.execute(f"EXPLAIN QUERY PLAN {sql}")) for sql in selects
    ]


def test_sqlite_reads_a_subject_by_its_index(tmp_path: Path) -> None:
    with SyncHub(f"sqlite:///{tmp_path / 'a.db'}") as hub:
        config = hub.create_sync_config(VALID_INPUT, actor=USER)
        conn = hub.storage.db.conn  # type: ignore[attr-defined]
        (by_subject,) = explained(
            conn, lambda: hub.audit_log(actor=USER, subject_id=config.id, offset=0)
        )
        (by_org,) = explained(conn, lambda: hub.audit_log(actor=USER, limit=10, offset=3))
    assert "USING INDEX audit_records_subject (org_id=? AND subject_id=?)" in by_subject
    assert "USING INDEX audit_records_org (org_id=?)" in by_org
    assert "TEMP B-TREE" not in by_subject + by_org  # the index gives the order: no sort


def test_postgres_indexes_a_subject() -> None:
    url = postgres_schema_url()
    import psycopg

    open_storage(url).close()
    with psycopg.connect(url) as conn:
        (definition,) = conn.execute(
            "SELECT indexdef FROM pg_indexes WHERE indexname = 'audit_records_subject'"
            " AND schemaname = current_schema()"
        ).fetchone() or ("",)
    assert definition.endswith("(org_id, subject_id, seq)")
