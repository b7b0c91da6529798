"""One storage suite, run unchanged against every backend (as eventsourcing does).

It talks to the port (``sync_sdk.storage.base``) directly: transactions, scoping, idempotency
keys, outbox claims.
"""

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import attrs
import pytest

from sync_sdk import SyncConfig, SyncDirection, SyncHub
from sync_sdk.records import AuditRecord, OutboxEvent
from sync_sdk.storage import IdempotencyKeyTaken, Storage, open_storage

from .conftest import USER, VALID_INPUT

NOW = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)


def config(i: int = 1) -> SyncConfig:
    return SyncConfig(
        f"sync_{i}", "int-1", "conn-1", f"name {i}", SyncDirection.INBOUND, "contacts", "people"
    )


def event(i: int = 1, at: datetime = NOW) -> OutboxEvent:
    return OutboxEvent(
        f"evt_{i}",
        "integration.syncConfig.created",
        "1.0.0",
        at,
        "user-1",
        "org-1",
        f"sync_{i}",
        json.dumps({"id": f"sync_{i}"}),
    )


def write(
    storage: Storage, i: int = 1, *, org: str = "org-1", key: str | None = None, at: datetime = NOW
) -> None:
    with storage.unit_of_work() as uow:
        uow.configs.add(
            config(i),
            org_id=org,
            created_by="user-1",
            created_at=at,
            idempotency_key=key,
            request_hash=None if key is None else "h",
        )
        uow.audit.add(
            AuditRecord(
                "integration.syncConfig.created", "user-1", org, f"sync_{i}", f"evt_{i}", at
            )
        )
        uow.outbox.add(event(i, at))
        uow.commit()


@pytest.fixture
def storage(url: str) -> Storage:
    storage = open_storage(url)
    yield storage  # type: ignore[misc]
    storage.close()


def totals(storage: Storage) -> tuple[int, int, int]:
    with storage.unit_of_work(write=False) as uow:
        return uow.configs.count(), uow.audit.count(), uow.outbox.count()


def test_commit_makes_everything_visible(storage: Storage) -> None:
    write(storage)
    assert totals(storage) == (1, 1, 1)
    with storage.unit_of_work(write=False) as uow:
        assert uow.configs.get("org-1", "sync_1") == config(1)
        assert uow.audit.list("org-1")[0].subject_id == "sync_1"
        assert uow.outbox.list()[0] == event(1)


def test_leaving_without_commit_rolls_back(storage: Storage) -> None:
    with storage.unit_of_work() as uow:
        uow.configs.add(config(), org_id="org-1", created_by="u", created_at=NOW)
        uow.audit.add(AuditRecord("k", "u", "org-1", "sync_1", "evt_1", NOW))
        uow.outbox.add(event())
    assert totals(storage) == (0, 0, 0)


def test_exception_rolls_back(storage: Storage) -> None:
    with pytest.raises(RuntimeError), storage.unit_of_work() as uow:
        uow.configs.add(config(), org_id="org-1", created_by="u", created_at=NOW)
        raise RuntimeError("boom")
    assert totals(storage) == (0, 0, 0)
    write(storage)  # still usable
    assert totals(storage) == (1, 1, 1)


def test_a_failing_write_rolls_back_the_whole_unit_of_work(storage: Storage) -> None:
    from sync_sdk import Conflict

    write(storage, 1)
    with pytest.raises(Conflict, match="sync_1"), storage.unit_of_work() as uow:
        uow.configs.add(config(2), org_id="org-1", created_by="u", created_at=NOW)
        uow.audit.add(AuditRecord("k", "u", "org-1", "sync_2", "evt_2", NOW))
        uow.outbox.add(event(2))
        uow.configs.add(config(1), org_id="org-1", created_by="u", created_at=NOW)  # id taken
        uow.commit()
    assert totals(storage) == (1, 1, 1)
    with storage.unit_of_work(write=False) as uow:
        assert uow.configs.get("org-1", "sync_2") is None


def test_reads_are_scoped_to_the_org(storage: Storage) -> None:
    write(storage, 1, org="org-1")
    write(storage, 2, org="org-2")
    with storage.unit_of_work(write=False) as uow:
        assert uow.configs.get("org-2", "sync_1") is None
        assert [c.id for c in uow.configs.list("org-1", limit=10, offset=0)] == ["sync_1"]
        assert uow.configs.count("org-2") == 1
        assert uow.configs.count() == 2
        assert [a.subject_id for a in uow.audit.list("org-2")] == ["sync_2"]
        assert len(uow.audit.list(None)) == 2


def test_audit_records_page_and_filter_by_subject(storage: Storage) -> None:
    for i in (4, 1, 3, 2):
        write(storage, i, org="org-2" if i == 3 else "org-1")
    with storage.unit_of_work(write=False) as uow:

        def subjects(org: str | None, **arguments: Any) -> list[str]:
            return [a.subject_id for a in uow.audit.list(org, **arguments)]

        assert subjects("org-1") == ["sync_4", "sync_1", "sync_2"]  # the order written
        assert subjects("org-1", limit=2) == ["sync_4", "sync_1"]
        assert subjects("org-1", limit=1, offset=1) == ["sync_1"]
        assert subjects("org-1", offset=2) == ["sync_2"]
        assert subjects("org-1", offset=3) == []
        assert subjects("org-1", subject_id="sync_1") == ["sync_1"]
        assert subjects("org-1", subject_id="sync_3") == []  # org-2's
        assert subjects(None, subject_id="sync_3") == ["sync_3"]
        assert subjects(None, limit=2, offset=1) == ["sync_1", "sync_3"]


def test_list_keeps_insertion_order(storage: Storage) -> None:
    for i in (3, 1, 2):
        write(storage, i)
    with storage.unit_of_work(write=False) as uow:
        assert [c.id for c in uow.configs.list("org-1", limit=2, offset=1)] == ["sync_1", "sync_2"]


@pytest.mark.parametrize("size", [2, 3, 15, 16, 17, 31, 32, 33, 63, 64, 65, 100, 257])
def test_a_batch_of_any_size_is_stored_whole_and_in_order(storage: Storage, size: int) -> None:
    # SQLite sends batches as multi-row INSERTs in chunks of 32, 16, 8, 4, 2 and 1 rows
    order = list(range(size, 0, -1))
    with storage.unit_of_work() as uow:
        uow.configs.add_many(
            [config(i) for i in order], org_id="org-1", created_by="user-1", created_at=NOW
        )
        uow.audit.add_many(
            [
                AuditRecord("integration.syncConfig.created", "u", "org-1", f"sync_{i}", "e", NOW)
                for i in order
            ]
        )
        uow.outbox.add_many([event(i) for i in order])
        uow.commit()
    with storage.unit_of_work(write=False) as uow:
        assert uow.configs.list("org-1", limit=1000, offset=0) == [config(i) for i in order]
        assert uow.configs.count("org-1") == size
        assert [a.subject_id for a in uow.audit.list("org-1")] == [f"sync_{i}" for i in order]
        assert [e.id for e in uow.outbox.list()] == [f"evt_{i}" for i in order]


def test_idempotency_key_is_unique_per_org(storage: Storage) -> None:
    write(storage, 1, key="k")
    with pytest.raises(IdempotencyKeyTaken), storage.unit_of_work() as uow:
        uow.configs.add(
            config(2),
            org_id="org-1",
            created_by="u",
            created_at=NOW,
            idempotency_key="k",
            request_hash="h2",
        )
    write(storage, 3, org="org-2", key="k")
    with storage.unit_of_work(write=False) as uow:
        assert uow.configs.find_by_idempotency_key("org-1", "k") == (config(1), "h")
        assert uow.configs.find_by_idempotency_key("org-1", "other") is None
    assert totals(storage) == (2, 2, 2)


def test_outbox_claims_mark_and_release(storage: Storage) -> None:
    write(storage, 1, at=NOW)
    write(storage, 2, at=NOW + timedelta(seconds=1))
    with storage.unit_of_work() as uow:
        claimed = uow.outbox.claim_pending(10, now=NOW, lease_until=NOW + timedelta(minutes=1))
        uow.commit()
    assert [e.id for e in claimed] == ["evt_1", "evt_2"]
    with storage.unit_of_work() as uow:  # leased: nobody else gets them
        assert uow.outbox.claim_pending(10, now=NOW, lease_until=NOW) == []
    with storage.unit_of_work() as uow:
        uow.outbox.mark_delivered(["evt_1"], NOW)
        uow.outbox.release(["evt_2"])
        uow.commit()
    with storage.unit_of_work() as uow:
        assert [e.id for e in uow.outbox.claim_pending(10, now=NOW, lease_until=NOW)] == ["evt_2"]
        assert uow.outbox.count(pending_only=True) == 1
    # an expired lease can be claimed again
    with storage.unit_of_work() as uow:
        uow.outbox.claim_pending(10, now=NOW, lease_until=NOW + timedelta(minutes=1))
        uow.commit()
    with storage.unit_of_work() as uow:
        later = NOW + timedelta(minutes=2)
        assert [e.id for e in uow.outbox.claim_pending(10, now=later, lease_until=later)] == [
            "evt_2"
        ]


def test_writes_in_one_unit_of_work_see_each_other(storage: Storage) -> None:
    with storage.unit_of_work() as uow:
        uow.configs.add(config(1), org_id="org-1", created_by="u", created_at=NOW)
        uow.outbox.add(event(1))
        uow.outbox.mark_delivered(["evt_1"], NOW)  # the event added just before
        uow.commit()
    with storage.unit_of_work(write=False) as uow:
        assert [e.delivered for e in uow.outbox.list()] == [True]
        assert uow.outbox.count(pending_only=True) == 0


def test_hostile_strings_round_trip(storage: Storage) -> None:
    nasty = 'Robert\'); DROP TABLE sync_configs;-- \u00e9\u4e2d\U0001f600 "q" \\ %s ?'
    cfg = SyncConfig(
        "sync_x",
        nasty,
        nasty,
        nasty,
        SyncDirection.OUTBOUND,
        nasty,
        "x" * 1024,
        schedule_cron=nasty,
    )
    with storage.unit_of_work() as uow:
        uow.configs.add(cfg, org_id=nasty, created_by=nasty, created_at=NOW)
        uow.commit()
    with storage.unit_of_work(write=False) as uow:
        assert uow.configs.get(nasty, "sync_x") == cfg


def test_every_config_field_round_trips(storage: Storage) -> None:
    from sync_sdk.models import FieldMapping, MappingType

    full = SyncConfig(
        "sync_full",
        "int-1",
        "conn-1",
        "Full",
        SyncDirection.BIDIRECTIONAL,
        "contacts",
        "people",
        schedule_enabled=True,
        schedule_cron="0 */6 * * *",
        is_active=False,
        last_sync_at=NOW - timedelta(days=1, microseconds=1),
        field_mappings=(
            FieldMapping("fm-1", "email", "Email", MappingType.DIRECT, True),
            FieldMapping("fm-2", "name", "Name", MappingType.TRANSFORM, False, "upper(name)"),
        ),
    )
    with storage.unit_of_work() as uow:
        uow.configs.add(full, org_id="org-1", created_by="u", created_at=NOW)
        uow.commit()
    with storage.unit_of_work(write=False) as uow:
        assert uow.configs.get("org-1", "sync_full") == full
        got = uow.configs.list("org-1", limit=10, offset=0)
    assert got[0] == full
    assert got[0].to_dict() == full.to_dict()  # the wire form too: times keep their offset


@pytest.mark.parametrize("size", [1, 2, 7, 40])
def test_nullable_fields_round_trip_in_batches_that_mix_them(storage: Storage, size: int) -> None:
    # SQLite writes NULL literals for columns that are None in a whole chunk: mixed chunks,
    # and rows where some or all nullable fields are set, must come back exactly
    configs = [
        attrs.evolve(
            config(i),
            schedule_enabled=i % 2 == 0,
            schedule_cron="*/5 * * * *" if i % 2 == 0 else None,
            last_sync_at=NOW if i % 3 == 0 else None,
        )
        for i in range(size)
    ]
    events = [attrs.evolve(event(i), delivered=i % 2 == 1) for i in range(size)]
    with storage.unit_of_work() as uow:
        uow.configs.add_many(configs, org_id="org-1", created_by="u", created_at=NOW)
        uow.outbox.add_many(events)
        uow.commit()
    with storage.unit_of_work(write=False) as uow:
        assert uow.configs.list("org-1", limit=100, offset=0) == configs
        assert uow.outbox.list() == events
        assert uow.outbox.count(pending_only=True) == sum(not e.delivered for e in events)


def test_audit_and_outbox_rows_that_differ_in_every_column_round_trip(storage: Storage) -> None:
    # SQLite binds a column once per chunk when every row has the same value (the org, the
    # time): rows that differ there, one by one, must keep their own values
    write(storage, 1)
    times = [NOW + timedelta(seconds=i % 3) for i in range(40)]
    audits = [
        AuditRecord(f"key.{i % 2}", f"user-{i % 3}", "org-1", "sync_1", f"evt_{i}", times[i])
        for i in range(40)
    ]
    events = [
        attrs.evolve(event(100 + i, times[i]), key=f"k{i % 2}", version=f"1.{i % 5}.0")
        for i in range(40)
    ]
    events = [
        attrs.evolve(e, subject_id="sync_1", actor_id=f"user-{i % 4}") for i, e in enumerate(events)
    ]
    with storage.unit_of_work() as uow:
        uow.audit.add_many(audits)
        uow.outbox.add_many(events)
        uow.commit()
    with storage.unit_of_work(write=False) as uow:
        assert uow.audit.list("org-1")[1:] == audits
        assert uow.outbox.list()[1:] == events


def test_sqlite_file_reopened_holds_everything(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'configs.db'}"
    with SyncHub(url) as hub:
        created = [hub.create_sync_config(VALID_INPUT, actor=USER) for _ in range(3)]
        audit = hub.audit_log(actor=USER)
    with SyncHub(url) as hub:
        assert list(hub.list_sync_configs(actor=USER).items) == created
        assert hub.audit_log(actor=USER) == audit
        assert hub.redeliver_pending() == 0  # delivery marks were flushed at close


def test_sqlite_wal_switch_waits_for_other_openers() -> None:
    # Two processes opening a new file at once: SQLite can refuse the switch to WAL with
    # "database is locked" without calling the busy handler (seen in 7 of 150 such races)
    import sqlite3

    from sync_sdk.storage.sqlite import _enable_wal

    class Busy:
        def __init__(self, failures: int, error: str = "database is locked") -> None:
            self.failures, self.error, self.calls = failures, error, 0

        def execute(self, sql: str) -> None:
            self.calls += 1
            if self.calls <= self.failures:
                raise sqlite3.OperationalError(self.error)

    conn = Busy(failures=3)
    _enable_wal(conn, timeout=5)  # type: ignore[arg-type]
    assert conn.calls == 4
    with pytest.raises(sqlite3.OperationalError, match="locked"):
        _enable_wal(Busy(failures=10**6), timeout=0.05)  # type: ignore[arg-type]
    other = Busy(failures=1, error="disk I/O error")
    with pytest.raises(sqlite3.OperationalError, match="disk"):
        _enable_wal(other, timeout=5)  # type: ignore[arg-type]
    assert other.calls == 1


def test_sqlite_file_settings(tmp_path: Path) -> None:
    from sync_sdk.storage.sqlite import SqliteStorage

    storage = open_storage(f"sqlite:///{tmp_path / 'a.db'}")
    assert isinstance(storage, SqliteStorage)
    conn = storage.db.conn
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert conn.execute("PRAGMA synchronous").fetchone()[0] == 2  # FULL
    assert conn.execute("PRAGMA foreign_keys").fetchone()[0] == 1
    assert conn.execute("PRAGMA busy_timeout").fetchone()[0] >= 1000
    storage.close()
    normal = open_storage(f"sqlite:///{tmp_path / 'b.db'}?synchronous=NORMAL")
    assert normal.db.conn.execute("PRAGMA synchronous").fetchone()[0] == 1  # type: ignore[attr-defined]
    normal.close()


def test_sqlite_migrations_are_idempotent(tmp_path: Path) -> None:
    path = tmp_path / "m.db"
    for _ in range(3):
        open_storage(f"sqlite:///{path}").close()
    import sqlite3

    conn = sqlite3.connect(path)
    names = [r[0] for r in conn.execute("SELECT name FROM _sqlite_migrations ORDER BY id")]
    assert names == [
        "0001_initial",
        "0002_org_config_counts",
        "0003_count_configs_per_statement",
        "0004_outbox_pending",
        "0005_audit_subject",
        "0006_neutral_subjects",
        "0007_idempotency_keys",
        "0008_sync_schedules",
    ]


def test_sqlite_migration_counts_existing_configs(tmp_path: Path) -> None:
    """A database made before the org counts gets them right when it is upgraded."""
    from sqlite_utils import Database

    from sync_sdk.storage.sqlite import migrations

    path = tmp_path / "old.db"
    db = Database(path)
    migrations.apply(db, stop_before="0002_org_config_counts")
    for i, org in enumerate(["a", "a", "b"]):
        db.execute(
            "INSERT INTO sync_configs (id, org_id, integration_id, connection_id, name, direction,"
            " source_object, target_object, schedule_enabled, is_active, created_by, created_at)"
            " VALUES (?, ?, 'i', 'c', 'n', 'INBOUND', 's', 't', 0, 1, 'u', '2026-01-01')",
            (f"sync_{i}", org),
        )
    db.conn.commit()
    db.close()
    storage = open_storage(f"sqlite:///{path}")
    with storage.unit_of_work(write=False) as uow:
        assert (uow.configs.count("a"), uow.configs.count("b"), uow.configs.count("c")) == (2, 1, 0)
    storage.close()


def test_sqlite_migration_keeps_pending_events_pending(tmp_path: Path) -> None:
    """A database made before the outbox_pending table: its undelivered events, with their
    leases, stay pending after the upgrade; its delivered ones stay delivered."""
    from sqlite_utils import Database

    from sync_sdk.storage.sqlite import migrations

    path = tmp_path / "old.db"
    db = Database(path)
    migrations.apply(db, stop_before="0004_outbox_pending")
    lease = (NOW + timedelta(minutes=5)).isoformat()
    states = {1: (None, None), 2: (NOW.isoformat(), None), 3: (None, lease), 4: (None, None)}
    for i, (delivered_at, claimed_until) in states.items():
        db.execute(
            "INSERT INTO sync_configs (id, org_id, integration_id, connection_id, name, direction,"
            " source_object, target_object, schedule_enabled, is_active, created_by, created_at)"
            " VALUES (?, 'org-1', 'i', 'c', 'n', 'INBOUND', 's', 't', 0, 1, 'u', '2026-01-01')",
            (f"sync_{i}",),
        )
        db.execute(
            "INSERT INTO outbox_events (id, key, version, occurred_at, actor_id, org_id,"
            " subject_id, payload, delivered_at, claimed_until)"
            " VALUES (?, 'k', '1.0.0', ?, 'u', 'org-1', ?, '{}', ?, ?)",
            (f"evt_{i}", NOW.isoformat(), f"sync_{i}", delivered_at, claimed_until),
        )
    db.conn.commit()
    db.close()
    storage = open_storage(f"sqlite:///{path}")
    with storage.unit_of_work() as uow:
        listed = {e.id: (e.delivered, e.claimed_until) for e in uow.outbox.list()}
        assert listed == {
            "evt_1": (False, None),
            "evt_2": (True, None),
            "evt_3": (False, NOW + timedelta(minutes=5)),
            "evt_4": (False, None),
        }
        assert uow.outbox.count(pending_only=True) == 3
        # evt_3 is leased until NOW + 5 minutes: not claimable before
        claimed = uow.outbox.claim_pending(10, now=NOW, lease_until=NOW + timedelta(minutes=1))
        assert [e.id for e in claimed] == ["evt_1", "evt_4"]
    storage.close()


def test_sqlite_migration_drops_the_subject_foreign_keys_keeping_every_row(
    tmp_path: Path,
) -> None:
    """A database made before audit records and outbox events could name any subject: after
    the upgrade, every row is there with its rowid, in its order, with its pending state and
    lease, the tables keep their indexes, and neither table has a foreign key."""
    import sqlite3

    from sqlite_utils import Database

    from sync_sdk.storage.sqlite import migrations

    path = tmp_path / "old.db"
    db = Database(path)
    migrations.apply(db, stop_before="0006_neutral_subjects")
    lease = (NOW + timedelta(minutes=5)).isoformat()
    # ids written out of their sort order: the outbox's order is its rowid's
    for i in (3, 1, 4, 2):
        db.execute(
            "INSERT INTO sync_configs (id, org_id, integration_id, connection_id, name, direction,"
            " source_object, target_object, schedule_enabled, is_active, created_by, created_at)"
            " VALUES (?, 'org-1', 'i', 'c', 'n', 'INBOUND', 's', 't', 0, 1, 'u', ?)",
            (f"sync_{i}", NOW.isoformat()),
        )
        db.execute(
            "INSERT INTO audit_records (key, actor_id, org_id, subject_id, event_id, occurred_at)"
            " VALUES ('k', 'u', 'org-1', ?, ?, ?)",
            (f"sync_{i}", f"evt_{i}", NOW.isoformat()),
        )
        db.execute(
            "INSERT INTO outbox_events (id, key, version, occurred_at, actor_id, org_id,"
            " subject_id, payload) VALUES (?, 'k', '1.0.0', ?, 'u', 'org-1', ?, ?)",
            (f"evt_{i}", NOW.isoformat(), f"sync_{i}", json.dumps({"id": f"sync_{i}"})),
        )
    # gaps: in the audit's seq, and the outbox's first rowid (a copy that renumbered would show)
    db.execute("DELETE FROM audit_records WHERE subject_id = 'sync_4'")
    db.execute("DELETE FROM outbox_events WHERE id = 'evt_3'")
    db.execute("INSERT INTO outbox_pending (event_id, claimed_until) VALUES ('evt_1', ?)", [lease])
    db.execute("INSERT INTO outbox_pending (event_id) VALUES ('evt_4')")
    db.execute("INSERT INTO outbox_pending (event_id) VALUES ('evt_2')")
    db.conn.commit()

    def snapshot(conn: sqlite3.Connection) -> dict[str, list[Any]]:
        return {
            "audit": conn.execute("SELECT * FROM audit_records ORDER BY seq").fetchall(),
            "outbox": conn.execute("SELECT rowid, * FROM outbox_events ORDER BY rowid").fetchall(),
            "pending": conn.execute("SELECT * FROM outbox_pending ORDER BY event_id").fetchall(),
            "indexes": conn.execute(
                "SELECT name, tbl_name, sql FROM sqlite_master WHERE type = 'index'"
                " AND tbl_name IN ('audit_records', 'outbox_events') ORDER BY name"
            ).fetchall(),
        }

    before = snapshot(db.conn)
    assert [row[0] for row in before["outbox"]] == [2, 3, 4]
    assert [row[0] for row in before["audit"]] == [1, 2, 4]  # sync_4's seq 3 is a gap
    assert db.conn.execute("PRAGMA foreign_key_list(audit_records)").fetchall() != []
    db.close()

    storage = open_storage(f"sqlite:///{path}")
    storage.close()
    conn = sqlite3.connect(path)
    assert snapshot(conn) == before
    assert [r[0] for r in snapshot(conn)["indexes"]] == [
        "audit_records_org",
        "audit_records_subject",
        "sqlite_autoindex_outbox_events_1",
    ]
    for table in ("audit_records", "outbox_events"):
        assert conn.execute(f"PRAGMA foreign_key_list({table})").fetchall() == []
    assert conn.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
    conn.close()

    storage = open_storage(f"sqlite:///{path}")
    with storage.unit_of_work() as uow:
        assert [e.id for e in uow.outbox.list()] == ["evt_1", "evt_4", "evt_2"]
        assert [a.subject_id for a in uow.audit.list("org-1")] == ["sync_3", "sync_1", "sync_2"]
        # evt_1 is leased until NOW + 5 minutes; the others are claimed in the order written
        claimed = uow.outbox.claim_pending(10, now=NOW, lease_until=NOW + timedelta(minutes=1))
        assert [e.id for e in claimed] == ["evt_4", "evt_2"]
        # new rows come after the old ones
        uow.audit.add(AuditRecord("k", "u", "org-1", "int_1", "evt_5", NOW))
        uow.commit()
    with storage.unit_of_work(write=False) as uow:
        assert [a.subject_id for a in uow.audit.list("org-1")][-1] == "int_1"
    storage.close()


def test_audit_and_events_may_be_about_any_entity(storage: Storage) -> None:
    """No foreign key ties an audit record or an outbox event to a config: an integration, a
    connection or a run can be their subject."""
    stored = [attrs.evolve(event(i), subject_id=f"run_{i}") for i in (1, 2)]
    with storage.unit_of_work() as uow:
        uow.audit.add_many(
            [
                AuditRecord("integration.create", "u", "org-1", "int_1", "evt_1", NOW),
                AuditRecord("integration.sync.trigger", "u", "org-1", "run_2", "evt_2", NOW),
            ]
        )
        uow.outbox.add_many(stored)
        uow.commit()
    with storage.unit_of_work(write=False) as uow:
        assert uow.configs.count() == 0
        assert [a.subject_id for a in uow.audit.list("org-1")] == ["int_1", "run_2"]
        assert [a.event_id for a in uow.audit.list("org-1", subject_id="run_2")] == ["evt_2"]
        assert uow.outbox.list() == stored


def test_driver_errors_become_storage_errors(tmp_path: Path) -> None:
    from sync_sdk import StorageError

    (tmp_path / "dir.db").mkdir()
    with pytest.raises(StorageError):
        open_storage(f"sqlite:///{tmp_path / 'dir.db'}")
    storage = open_storage("sqlite://")
    storage.close()
    with pytest.raises(StorageError), storage.unit_of_work():
        pass


def _old_style_key_hash() -> str:
    """The request hash that sync_sdk stored on the config row before keys had their table."""
    from sync_sdk.hub import _request_hash
    from sync_sdk.validation import create_input_fields

    return _request_hash(create_input_fields(VALID_INPUT))


def test_sqlite_migration_moves_idempotency_keys_to_their_table(tmp_path: Path) -> None:
    """A key stored on a config row before the upgrade still replays after it: the same input
    returns that config and writes nothing; other input is a Conflict."""
    from sqlite_utils import Database

    from sync_sdk import Conflict
    from sync_sdk.storage.sqlite import migrations

    path = tmp_path / "old.db"
    db = Database(path)
    migrations.apply(db, stop_before="0007_idempotency_keys")
    db.execute(
        "INSERT INTO sync_configs (id, org_id, integration_id, connection_id, name, direction,"
        " source_object, target_object, schedule_enabled, is_active, created_by, created_at,"
        " idempotency_key, request_hash) VALUES ('sync_old', ?, 'int-1', 'conn-1',"
        " 'Contacts Sync', 'OUTBOUND', 'contacts', 'contacts', 0, 1, 'u', ?, 'key-1', ?)",
        (USER.org_id, NOW.isoformat(), _old_style_key_hash()),
    )
    db.conn.commit()
    db.close()
    with SyncHub(f"sqlite:///{path}") as hub:
        again = hub.create_sync_config(VALID_INPUT, actor=USER, idempotency_key="key-1")
        assert again.id == "sync_old"
        assert again == hub.get_sync_config("sync_old", actor=USER)
        assert len(hub.list_sync_configs(actor=USER).items) == 1
        with pytest.raises(Conflict):
            hub.create_sync_config(
                {**VALID_INPUT, "name": "Other"}, actor=USER, idempotency_key="key-1"
            )
        # the key is the org's, whatever the command
        with pytest.raises(Conflict):
            hub.create_integration(
                name="Slack", slug="slack", provider="slack", actor=USER, idempotency_key="key-1"
            )
        assert len(hub.list_sync_configs(actor=USER).items) == 1


def test_the_schedules_migrations_create_the_declared_table() -> None:
    """The migrations spell out SCHEDULES as declared: ensure_tables then finds it as is."""
    from sync_sdk.operations.tables import SCHEDULES
    from sync_sdk.storage import sqlite
    from sync_sdk.storage.tables import ddl

    assert list(sqlite.SCHEDULES_DDL) == ddl(SCHEDULES, sqlite.DIALECT)
    try:
        from sync_sdk.storage import postgres
    except ImportError:  # the postgres extra is not installed: its half is checked in CI
        return
    assert list(postgres.SCHEDULES_DDL) == ddl(SCHEDULES, postgres.DIALECT)


def test_sqlite_migration_schedules_the_configs_stored_with_a_schedule(tmp_path: Path) -> None:
    """A config stored with a schedule before schedules had their table runs on it after."""
    from sqlite_utils import Database

    from sync_sdk.storage.sqlite import migrations

    path = tmp_path / "old.db"
    db = Database(path)
    migrations.apply(db, stop_before="0008_sync_schedules")
    for config_id, enabled, active in (
        ("sync_on", 1, 1),
        ("sync_off", 0, 1),
        ("sync_paused", 1, 0),
    ):
        db.execute(
            "INSERT INTO sync_configs (id, org_id, integration_id, connection_id, name,"
            " direction, source_object, target_object, schedule_enabled, schedule_cron,"
            " is_active, created_by, created_at) VALUES (?, ?, 'i', 'c', 'n', 'INBOUND', 's',"
            " 't', ?, '0 * * * *', ?, 'u', ?)",
            (config_id, USER.org_id, enabled, active, NOW.isoformat()),
        )
    db.conn.commit()
    db.close()
    with SyncHub(f"sqlite:///{path}") as hub:
        assert hub.schedule_due(NOW + timedelta(minutes=30)) == []
        runs = hub.schedule_due(NOW + timedelta(hours=3, minutes=5))
        assert [(r.sync_config_id, r.trigger) for r in runs] == [("sync_on", "schedule")]
        assert hub.schedule_due(NOW + timedelta(hours=3, minutes=6)) == []
