"""What the storage and the hub do when the world around them goes wrong: another process
holding the write lock, a file deleted or replaced under an open hub, a schema from a newer
sync_sdk, a server that stops answering, ``close()`` while receivers are still running.
"""

from __future__ import annotations

import os
import socket
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import suppress
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest
import sqlite_utils

from sync_sdk import ConfigurationError, StorageError, SyncHub
from sync_sdk.events import EventEnvelope
from sync_sdk.signals import sync_config_created
from sync_sdk.storage import open_storage
from sync_sdk.storage.sqlite import SqliteStorage, migrations

from .conftest import USER, VALID_INPUT, counts, postgres_schema_url

# -- opening a SQLite file that another process is writing to --------------------------------


def test_sqlite_file_opens_and_reads_while_another_connection_holds_the_write_lock(
    tmp_path: Path,
) -> None:
    path = tmp_path / "configs.db"
    with SyncHub(f"sqlite:///{path}") as hub:
        created = hub.create_sync_config(VALID_INPUT, actor=USER)
    writer = sqlite3.connect(path, isolation_level=None)
    writer.execute("BEGIN IMMEDIATE")
    writer.execute("UPDATE sync_configs SET name = 'renamed, not committed'")
    try:
        # Opening used to take the write lock: it waited out the busy timeout and failed
        storage = SqliteStorage(str(path), busy_timeout=1.0)
        with SyncHub(storage) as hub:
            assert hub.get_sync_config(created.id, actor=USER) == created
            page = hub.list_sync_configs(actor=USER)
            assert (page.items, page.total) == ([created], 1)
        storage.close()
    finally:
        writer.execute("ROLLBACK")
        writer.close()


def test_a_new_sqlite_file_is_still_migrated_on_open(tmp_path: Path) -> None:
    path = tmp_path / "new.db"
    SqliteStorage(str(path)).close()
    db = sqlite_utils.Database(path)
    assert migrations.pending(db) == []
    assert {"sync_configs", "audit_records", "outbox_events"} <= set(db.table_names())
    db.close()


# -- a SQLite file deleted or replaced under an open hub -------------------------------------


def test_writing_after_the_sqlite_file_was_deleted_is_a_storage_error(tmp_path: Path) -> None:
    path = tmp_path / "configs.db"
    hub = SyncHub(f"sqlite:///{path}")
    hub.create_sync_config(VALID_INPUT, actor=USER)
    hub.flush()
    path.unlink()
    with pytest.raises(StorageError, match="deleted or replaced") as info:
        hub.create_sync_config(VALID_INPUT, actor=USER)
    assert "nothing was written" in str(info.value)
    with pytest.raises(StorageError, match="deleted or replaced"):
        hub.create_sync_configs([VALID_INPUT], actor=USER)
    hub.close()
    assert not path.exists()  # the hub did not write a new file either


def test_writing_after_the_sqlite_file_was_replaced_is_a_storage_error(tmp_path: Path) -> None:
    path, other = tmp_path / "configs.db", tmp_path / "other.db"
    hub = SyncHub(f"sqlite:///{path}")
    hub.create_sync_config(VALID_INPUT, actor=USER)
    hub.flush()
    SqliteStorage(str(other)).close()  # another database, empty
    os.replace(other, path)
    wal = tmp_path / "configs.db-wal"  # the opened database's log, which it would write to
    before = path.read_bytes(), wal.read_bytes()
    with pytest.raises(StorageError, match="deleted or replaced"):
        hub.create_sync_config(VALID_INPUT, actor=USER)
    assert (path.read_bytes(), wal.read_bytes()) == before  # nothing written
    hub.close()


def test_in_memory_sqlite_needs_no_file(tmp_path: Path) -> None:
    with SyncHub("sqlite://") as hub:
        hub.create_sync_config(VALID_INPUT, actor=USER)
        assert counts(hub) == (1, 1, 1)


# -- a schema from a newer sync_sdk ----------------------------------------------------------


def test_sqlite_file_migrated_by_a_newer_sync_sdk_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "configs.db"
    with SyncHub(f"sqlite:///{path}") as hub:
        hub.create_sync_config(VALID_INPUT, actor=USER)
    conn = sqlite3.connect(path)
    with conn:
        conn.execute(
            "INSERT INTO _sqlite_migrations (migration_set, name, applied_at)"
            " VALUES ('sync_sdk', '9999_from_the_future', '2099-01-01 00:00:00+00:00')"
        )
    conn.close()
    ours = migrations.pending(sqlite_utils.Database(memory=True))[-1].name
    with pytest.raises(StorageError, match="newer sync_sdk") as info:
        SyncHub(f"sqlite:///{path}")
    assert "'9999_from_the_future'" in str(info.value)
    assert repr(ours) in str(info.value)
    conn = sqlite3.connect(path)  # nothing was written
    assert conn.execute("SELECT count(*) FROM sync_configs").fetchone() == (1,)
    conn.close()


def test_postgres_schema_migrated_by_a_newer_sync_sdk_is_refused() -> None:
    url = postgres_schema_url()
    import psycopg

    from sync_sdk.storage.postgres import MIGRATIONS

    open_storage(url).close()
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("INSERT INTO sync_sdk_migrations (version, name) VALUES (99, '0099_future')")
    ours, ours_name, _ = MIGRATIONS[-1]
    with pytest.raises(StorageError, match="newer sync_sdk") as info:
        SyncHub(url)
    assert "99 (0099_future)" in str(info.value)
    assert f"{ours} ({ours_name})" in str(info.value)
    assert urlsplit(url).password not in str(info.value)


# -- PostgreSQL: how long a call waits while the server is down -------------------------------


class _Relay:
    """A TCP relay from a loopback port to the server, that can be stopped like a server: the
    port then refuses connections and those made through it are cut."""

    def __init__(self, host: str, port: int) -> None:
        self._target = (host, port)
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.port = self._listener.getsockname()[1]
        self._sockets: list[socket.socket] = []
        self._accepting = threading.Thread(target=self._accept, daemon=True)
        self._accepting.start()

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self._listener.accept()
            except OSError:
                return  # stopped
            server = socket.create_connection(self._target)
            self._sockets += [client, server]
            for a, b in ((client, server), (server, client)):
                threading.Thread(target=self._pump, args=(a, b), daemon=True).start()

    @staticmethod
    def _pump(source: socket.socket, sink: socket.socket) -> None:
        try:
            while data := source.recv(65536):
                sink.sendall(data)
        except OSError:
            pass
        finally:
            for s in (source, sink):
                with suppress(OSError):
                    s.shutdown(socket.SHUT_RDWR)

    def stop(self) -> None:
        if self._listener.fileno() == -1:
            return
        self._listener.shutdown(socket.SHUT_RDWR)  # wakes accept(), which close() would not
        self._listener.close()
        self._accepting.join()
        for s in self._sockets:
            with suppress(OSError):
                s.shutdown(socket.SHUT_RDWR)
            s.close()


@pytest.fixture
def relay() -> Iterator[tuple[_Relay, str]]:
    """A relay to the test server, and the URL of a fresh schema through it."""
    url = postgres_schema_url()
    parts = urlsplit(url)
    relay = _Relay(parts.hostname or "127.0.0.1", parts.port or 5432)
    netloc = f"{parts.username}:{parts.password}@127.0.0.1:{relay.port}"
    yield relay, urlunsplit(parts._replace(netloc=netloc))
    relay.stop()


def test_a_stopped_postgres_server_fails_calls_after_pool_timeout(
    relay: tuple[_Relay, str],
) -> None:
    server, url = relay
    password = urlsplit(url).password or ""
    hub = SyncHub(url + "&pool_timeout=0.5")
    assert hub.storage.pool_timeout == 0.5  # type: ignore[attr-defined]
    hub.create_sync_config(VALID_INPUT, actor=USER)
    hub.flush()
    server.stop()
    # The pooled connection the server dropped fails first; then no connection comes
    messages = []
    for _ in range(3):
        with pytest.raises(StorageError) as info:
            hub.list_sync_configs(actor=USER)
        messages.append(str(info.value))
        if "pool_timeout" in messages[-1]:
            break
    assert "no PostgreSQL connection within pool_timeout=0.5 s" in messages[-1], messages
    for message in messages:
        assert password not in message
    hub.close()


def test_pool_timeout_defaults_to_five_seconds() -> None:
    url = postgres_schema_url()
    from sync_sdk.storage.postgres import DEFAULT_POOL_TIMEOUT

    assert DEFAULT_POOL_TIMEOUT == 5.0
    storage = open_storage(url)
    assert storage.pool_timeout == DEFAULT_POOL_TIMEOUT  # type: ignore[attr-defined]
    storage.close()


@pytest.mark.parametrize("value", ["0", "-1", "nan", "inf", "", "soon", "1e999"])
def test_a_bad_pool_timeout_is_refused_before_connecting(value: str) -> None:
    pytest.importorskip("psycopg")
    # port 1: nothing listens there; the option is checked before any connection is tried
    url = f"postgresql://app:s3cret@127.0.0.1:1/sync?sslmode=disable&pool_timeout={value}"
    with pytest.raises(ConfigurationError, match="pool_timeout must be a positive number"):
        SyncHub(url)


def test_pool_timeout_is_not_passed_to_libpq() -> None:
    pytest.importorskip("psycopg")
    # nothing listens on port 1: the error is the refused connection, not an unknown option
    url = "postgresql://app:s3cret@127.0.0.1:1/sync?pool_timeout=2&sslmode=disable"
    with pytest.raises(StorageError, match="cannot open PostgreSQL database") as info:
        SyncHub(url)
    assert "pool_timeout" not in str(info.value.__cause__)
    assert "s3cret" not in str(info.value)


# -- close() while receivers are running -----------------------------------------------------


def test_close_waits_for_a_delivery_in_progress_and_a_second_close_does_nothing(
    tmp_path: Path,
) -> None:
    url = f"sqlite:///{tmp_path / 'configs.db'}"
    hub = SyncHub(url)
    entered, release = threading.Event(), threading.Event()
    received: list[EventEnvelope] = []

    def receiver(sender: object, *, event: EventEnvelope) -> None:
        entered.set()
        release.wait(30)
        received.append(event)

    errors: list[BaseException] = []

    def run(call: object) -> None:
        try:
            call()  # type: ignore[operator]
        except BaseException as exc:
            errors.append(exc)

    creating = threading.Thread(
        target=run, args=(lambda: hub.create_sync_config(VALID_INPUT, actor=USER),)
    )
    closing = threading.Thread(target=run, args=(hub.close,))
    with sync_config_created.connected_to(receiver):
        creating.start()
        assert entered.wait(30)
        closing.start()
        closing.join(2)  # time for close() to finish, if it did not wait for the receiver
        if closing.is_alive():  # it waits: a create now is refused, not left half-delivered
            with pytest.raises(StorageError, match="hub is closed"):
                hub.create_sync_config(VALID_INPUT, actor=USER)
        release.set()
        creating.join(30)
        closing.join(30)
    assert errors == []
    assert len(received) == 1
    hub.close()  # a second close does nothing
    with SyncHub(url) as reopened:
        assert counts(reopened)[0] == 1
        assert reopened.redeliver_pending() == 0  # the event was marked delivered


def test_a_receiver_may_close_the_hub(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'configs.db'}"
    hub = SyncHub(url)

    def receiver(sender: object, *, event: EventEnvelope) -> None:
        hub.close()  # on the delivering thread: must not wait for its own delivery

    done: list[object] = []
    with sync_config_created.connected_to(receiver):
        thread = threading.Thread(
            target=lambda: done.append(hub.create_sync_config(VALID_INPUT, actor=USER))
        )
        thread.start()
        thread.join(30)
    assert not thread.is_alive() and len(done) == 1
    hub.close()  # closed already: nothing to do, no error
    with pytest.raises(StorageError):
        hub.create_sync_config(VALID_INPUT, actor=USER)
    with SyncHub(url) as reopened:
        # its event could not be marked after the storage closed: delivered again, not lost
        assert reopened.redeliver_pending() == 1


def test_calls_after_close_are_storage_errors(tmp_path: Path) -> None:
    hub = SyncHub(f"sqlite:///{tmp_path / 'configs.db'}")
    hub.close()
    hub.close()
    with pytest.raises(StorageError, match="closed"):
        hub.create_sync_config(VALID_INPUT, actor=USER)
    with pytest.raises(StorageError, match="closed"):
        hub.list_sync_configs(actor=USER)
