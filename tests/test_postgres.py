"""What only the PostgreSQL backend has: migrations under a lock, a pool, redacted credentials.

The backend's semantics are checked by the shared suites (``test_storage_contract.py``,
``test_hub.py``...), which run against it like against every other backend.
"""

from __future__ import annotations

import logging
import subprocess
import sys
import threading
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest

from sync_sdk import Conflict, StorageError, SyncHub
from sync_sdk.records import AuditRecord
from sync_sdk.storage import IdempotencyKeyTaken, open_storage

from .conftest import USER, VALID_INPUT, postgres_schema_url, postgres_server_url
from .test_storage_contract import config, event, write

NOW = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)
ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def pg_url() -> str:
    return postgres_schema_url()


def migration_rows(url: str) -> list[tuple[int, str]]:
    import psycopg

    with psycopg.connect(url) as conn:
        rows = conn.execute("SELECT version, name FROM sync_sdk_migrations ORDER BY version")
        return [(int(v), str(n)) for v, n in rows]


def with_password(url: str, password: str) -> str:
    parts = urlsplit(url)
    netloc = f"{parts.username}:{password}@{parts.hostname}:{parts.port or 5432}"
    return urlunsplit(parts._replace(netloc=netloc))


def test_importing_sync_sdk_does_not_import_the_driver() -> None:
    code = "import sys, sync_sdk, sync_sdk.storage; print('psycopg' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_hub_selects_postgres_by_url(pg_url: str) -> None:
    from sync_sdk.storage.postgres import PostgresStorage

    with SyncHub(pg_url) as hub:
        assert isinstance(hub.storage, PostgresStorage)
        cfg = hub.create_sync_config(VALID_INPUT, actor=USER)
    with SyncHub(pg_url) as hub:  # a new pool, the same server: the config is there
        assert hub.get_sync_config(cfg.id, actor=USER) == cfg


def test_migrations_are_recorded_once(pg_url: str) -> None:
    for _ in range(3):
        open_storage(pg_url).close()
    assert migration_rows(pg_url) == [
        (1, "0001_initial"),
        (2, "0002_org_config_counts"),
        (3, "0003_audit_subject"),
        (4, "0004_neutral_subjects"),
        (5, "0005_idempotency_keys"),
        (6, "0006_sync_schedules"),
    ]


def test_processes_starting_at_once_migrate_once(pg_url: str, tmp_path: Path) -> None:
    # Each process connects, then all migrate the moment the file "go" appears: without the
    # advisory lock their CREATE TABLEs collide.
    go = tmp_path / "go"
    code = (
        "import os, sys, time, psycopg\n"
        "from sync_sdk.storage.postgres import migrate\n"
        "conn = psycopg.connect(sys.argv[1], autocommit=True)\n"
        "print('ready', flush=True)\n"
        "while not os.path.exists(sys.argv[2]): time.sleep(0.001)\n"
        "print(','.join(migrate(conn)), flush=True)\n"
    )
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", code, pg_url, str(go)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(8)
    ]
    for proc in procs:  # every process is connected: they migrate together
        assert proc.stdout is not None
        assert proc.stdout.readline().strip() == "ready"
    go.touch()
    results = [proc.communicate(timeout=120) for proc in procs]
    assert [proc.returncode for proc in procs] == [0] * 8, [err for _, err in results]
    applied = sorted(out.strip() for out, _ in results)
    # one migrated, the others found it done
    assert applied == [""] * 7 + [
        "0001_initial,0002_org_config_counts,0003_audit_subject,0004_neutral_subjects,"
        "0005_idempotency_keys,0006_sync_schedules"
    ]
    assert migration_rows(pg_url) == [
        (1, "0001_initial"),
        (2, "0002_org_config_counts"),
        (3, "0003_audit_subject"),
        (4, "0004_neutral_subjects"),
        (5, "0005_idempotency_keys"),
        (6, "0006_sync_schedules"),
    ]
    with SyncHub(pg_url) as hub:
        hub.create_sync_config(VALID_INPUT, actor=USER)


def test_credentials_never_appear(pg_url: str, caplog: pytest.LogCaptureFixture) -> None:
    password = urlsplit(postgres_server_url()).password or ""
    assert password, "the test server's URL must carry a password"
    caplog.set_level(logging.DEBUG)
    texts: list[str] = []
    with SyncHub(pg_url, id_factory=lambda: "same") as hub:
        texts += [repr(hub), repr(hub.storage), hub.storage.url]
        hub.create_sync_config(VALID_INPUT, actor=USER)
        with pytest.raises(Conflict) as duplicate:  # the driver's error is its cause
            hub.create_sync_config(VALID_INPUT, actor=USER)
    wrong = "not-the-password-4f1c"
    with pytest.raises(StorageError) as refused:  # the server says no
        open_storage(with_password(pg_url, wrong))
    with pytest.raises(StorageError) as malformed:  # libpq echoes the token it cannot parse
        open_storage(with_password(pg_url, wrong + "%zz"))
    errors = [duplicate.value, refused.value, malformed.value]
    for err in errors:
        texts += [str(err), repr(err), str(err.__cause__), repr(err.__cause__)]
    texts.append(caplog.text)
    assert "duplicate key" in str(duplicate.value.__cause__)
    assert "Key (id)=(same) already exists" in str(duplicate.value)
    assert "password authentication failed" in str(refused.value)
    assert 'invalid percent-encoded token: "***"' in str(malformed.value)
    for text in texts:
        assert password not in text
        assert wrong not in text


def test_migration_drops_the_subject_foreign_keys_keeping_every_row(
    pg_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A schema made before audit records and outbox events could name any subject: after the
    upgrade every row is there, in its order, with its seq, and neither table has a foreign
    key."""
    import psycopg

    from sync_sdk.storage import postgres

    previous = postgres.MIGRATIONS[:3]
    assert previous[-1][1] == "0003_audit_subject"
    with psycopg.connect(pg_url, autocommit=True) as conn:
        with monkeypatch.context() as patch:
            patch.setattr(postgres, "MIGRATIONS", previous)
            postgres.migrate(conn)
        for i in (3, 1, 4, 2):  # ids out of their sort order: the order is seq's
            conn.execute(
                "INSERT INTO sync_configs (id, org_id, integration_id, connection_id, name,"
                " direction, source_object, target_object, schedule_enabled, is_active,"
                " created_by, created_at) VALUES (%s, 'org-1', 'i', 'c', 'n', 'INBOUND', 's',"
                " 't', false, true, 'u', %s)",
                (f"sync_{i}", NOW),
            )
            conn.execute(
                "INSERT INTO audit_records (key, actor_id, org_id, subject_id, event_id,"
                " occurred_at) VALUES ('k', 'u', 'org-1', %s, %s, %s)",
                (f"sync_{i}", f"evt_{i}", NOW),
            )
            conn.execute(
                "INSERT INTO outbox_events (id, key, version, occurred_at, actor_id, org_id,"
                " subject_id, payload, delivered_at) VALUES (%s, 'k', '1.0.0', %s, 'u', 'org-1',"
                " %s, '{}', %s)",
                (f"evt_{i}", NOW, f"sync_{i}", NOW if i == 4 else None),
            )
        conn.execute("DELETE FROM audit_records WHERE subject_id = 'sync_4'")  # a gap in seq

        def snapshot() -> list[list[tuple[object, ...]]]:
            return [
                conn.execute(f"SELECT * FROM {table} ORDER BY seq").fetchall()
                for table in ("audit_records", "outbox_events")
            ]

        def foreign_keys() -> list[tuple[object, ...]]:
            return conn.execute(
                "SELECT conrelid::regclass::text, conname FROM pg_constraint WHERE contype = 'f'"
                " AND conrelid IN ('audit_records'::regclass, 'outbox_events'::regclass)"
                " ORDER BY 1"
            ).fetchall()

        before = snapshot()
        assert foreign_keys() == [
            ("audit_records", "audit_records_subject_id_fkey"),
            ("outbox_events", "outbox_events_subject_id_fkey"),
        ]
        assert postgres.migrate(conn) == [
            "0004_neutral_subjects",
            "0005_idempotency_keys",
            "0006_sync_schedules",
        ]
        assert snapshot() == before
        assert foreign_keys() == []
    storage = open_storage(pg_url)
    try:
        with storage.unit_of_work() as uow:
            subjects = [a.subject_id for a in uow.audit.list("org-1")]
            assert subjects == ["sync_3", "sync_1", "sync_2"]
            assert [e.id for e in uow.outbox.list()] == ["evt_3", "evt_1", "evt_4", "evt_2"]
            assert uow.outbox.count(pending_only=True) == 3
            uow.audit.add(AuditRecord("k", "u", "org-1", "conn_1", "evt_5", NOW))
            uow.commit()
        with storage.unit_of_work(write=False) as uow:
            assert [a.subject_id for a in uow.audit.list("org-1")][-1] == "conn_1"
    finally:
        storage.close()


def test_a_key_taken_by_a_concurrent_transaction_is_reported_at_commit(pg_url: str) -> None:
    storage = open_storage(pg_url)
    with pytest.raises(IdempotencyKeyTaken), storage.unit_of_work() as first:
        first.configs.add(
            config(1), org_id="org-1", created_by="u", created_at=NOW, idempotency_key="k"
        )
        write(storage, 2, key="k")  # another transaction takes the key and commits first
        first.commit()
    with storage.unit_of_work(write=False) as uow:
        assert uow.configs.find_by_idempotency_key("org-1", "k") == (config(2), "h")
        assert uow.configs.count() == 1
    storage.close()


def test_a_read_only_unit_of_work_sees_one_snapshot(pg_url: str) -> None:
    reader, writer = open_storage(pg_url), open_storage(pg_url)
    with reader.unit_of_work(write=False) as uow:
        assert uow.configs.count() == 0
        write(writer, 1)
        assert uow.configs.count() == 0  # as SQLite and memory: one snapshot per transaction
    with reader.unit_of_work(write=False) as uow:
        assert uow.configs.count() == 1
    reader.close()
    writer.close()


def test_a_write_unit_of_work_reads_what_it_staged(pg_url: str) -> None:
    storage = open_storage(pg_url)
    with storage.unit_of_work() as uow:
        uow.configs.add(config(1), org_id="org-1", created_by="u", created_at=NOW)
        assert uow.configs.get("org-1", "sync_1") == config(1)
    with storage.unit_of_work(write=False) as uow:  # not committed: rolled back
        assert uow.configs.count() == 0
    storage.close()


def test_batches_are_written_in_order(pg_url: str) -> None:
    # add_many (the batch port on main) sends arrays; rows keep the order given.
    from sync_sdk.storage.postgres import PostgresStorage

    storage = PostgresStorage(pg_url)
    configs = [config(i) for i in (3, 1, 2)]
    with storage.unit_of_work() as uow:
        uow.configs.add_many(configs, org_id="org-1", created_by="u", created_at=NOW)
        uow.audit.add_many(
            [AuditRecord("k", "u", "org-1", c.id, f"evt_{c.id}", NOW) for c in configs]
        )
        uow.outbox.add_many([event(i) for i in (3, 1, 2)])
        uow.commit()
    with storage.unit_of_work(write=False) as uow:
        assert uow.configs.list("org-1", limit=10, offset=0) == configs
        assert [a.subject_id for a in uow.audit.list(None)] == [c.id for c in configs]
        assert [e.id for e in uow.outbox.list()] == ["evt_3", "evt_1", "evt_2"]
    storage.close()


def test_unreachable_server_and_closed_storage_are_storage_errors(pg_url: str) -> None:
    parts = urlsplit(pg_url)
    with pytest.raises(StorageError, match="cannot open PostgreSQL database"):
        open_storage(urlunsplit(parts._replace(netloc=f"{parts.username}:x@127.0.0.1:1")))
    storage = open_storage(pg_url)
    storage.close()
    with pytest.raises(StorageError), storage.unit_of_work():
        pass


def test_a_pool_serves_more_threads_than_connections(pg_url: str) -> None:
    from sync_sdk.storage.postgres import PostgresStorage

    storage = PostgresStorage(pg_url, max_size=2)
    errors: list[BaseException] = []

    def work(n: int) -> None:
        try:
            for i in range(10):
                write(storage, n * 100 + i)
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(n,)) for n in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    with storage.unit_of_work(write=False) as uow:
        assert (uow.configs.count(), uow.audit.count(), uow.outbox.count()) == (60, 60, 60)
    storage.close()


def test_server_time_zone_does_not_leak_into_values(pg_url: str) -> None:
    # A session in another zone (as a server configured so would give): times still load in
    # UTC, as the hub wrote them, so the wire output does not change with the server.
    zoned = pg_url + "%20-cTimeZone%3DAsia%2FKolkata"
    with SyncHub(zoned, clock=lambda: NOW) as hub:
        hub.create_sync_config(VALID_INPUT, actor=USER)
        (record,) = hub.audit_log(actor=USER)
        with hub.storage.unit_of_work(write=False) as uow:
            (event,) = uow.outbox.list()
    assert record.occurred_at == NOW == event.occurred_at
    assert record.occurred_at.tzinfo == UTC and event.occurred_at.tzinfo == UTC


def test_each_test_schema_is_a_separate_store() -> None:
    a, b = postgres_schema_url(), postgres_schema_url()
    with SyncHub(a) as hub_a, SyncHub(b) as hub_b:
        hub_a.create_sync_config(VALID_INPUT, actor=USER)
        assert hub_b.list_sync_configs(actor=USER).total == 0


def test_migration_moves_idempotency_keys_to_their_table(
    pg_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A key stored on a config row before the upgrade still replays after it."""
    import psycopg

    from sync_sdk.storage import postgres

    from .test_storage_contract import _old_style_key_hash

    with psycopg.connect(pg_url, autocommit=True) as conn:
        with monkeypatch.context() as patch:
            patch.setattr(postgres, "MIGRATIONS", postgres.MIGRATIONS[:4])
            postgres.migrate(conn)
        conn.execute(
            "INSERT INTO sync_configs (id, org_id, integration_id, connection_id, name,"
            " direction, source_object, target_object, schedule_enabled, is_active,"
            " created_by, created_at, idempotency_key, request_hash) VALUES ('sync_old', %s,"
            " 'int-1', 'conn-1', 'Contacts Sync', 'OUTBOUND', 'contacts', 'contacts', false,"
            " true, 'u', %s, 'key-1', %s)",
            (USER.org_id, NOW, _old_style_key_hash()),
        )
        assert postgres.migrate(conn) == ["0005_idempotency_keys", "0006_sync_schedules"]
    with SyncHub(pg_url) as hub:
        again = hub.create_sync_config(VALID_INPUT, actor=USER, idempotency_key="key-1")
        assert again == hub.get_sync_config("sync_old", actor=USER)
        assert hub.list_sync_configs(actor=USER).total == 1
        with pytest.raises(Conflict):
            hub.create_sync_config(
                {**VALID_INPUT, "name": "Other"}, actor=USER, idempotency_key="key-1"
            )


def test_migration_schedules_the_configs_stored_with_a_schedule(
    pg_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A config stored with a schedule before schedules had their table runs on it after: the
    latest slot since its creation, once."""
    from datetime import timedelta

    import psycopg

    from sync_sdk.storage import postgres

    with psycopg.connect(pg_url, autocommit=True) as conn:
        with monkeypatch.context() as patch:
            patch.setattr(postgres, "MIGRATIONS", postgres.MIGRATIONS[:5])
            postgres.migrate(conn)
        for config_id, enabled, active in (
            ("sync_on", True, True),
            ("sync_off", False, True),
            ("sync_paused", True, False),
        ):
            conn.execute(
                "INSERT INTO sync_configs (id, org_id, integration_id, connection_id, name,"
                " direction, source_object, target_object, schedule_enabled, schedule_cron,"
                " is_active, created_by, created_at) VALUES (%s, %s, 'i', 'c', 'n', 'INBOUND',"
                " 's', 't', %s, '0 * * * *', %s, 'u', %s)",
                (config_id, USER.org_id, enabled, active, NOW),
            )
        assert postgres.migrate(conn) == ["0006_sync_schedules"]
    with SyncHub(pg_url) as hub:
        assert hub.schedule_due(NOW + timedelta(minutes=30)) == []
        runs = hub.schedule_due(NOW + timedelta(hours=3, minutes=5))
        assert [(r.sync_config_id, r.trigger) for r in runs] == [("sync_on", "schedule")]
        assert hub.schedule_due(NOW + timedelta(hours=3, minutes=6)) == []
