"""Connection credentials through SyncHub, on every backend: encrypted at rest (read straight
from the SQLite file, the PostgreSQL row and the memory store), never shown anywhere else, and
given back only to the connection's own org."""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from cryptography.fernet import Fernet

from sync_sdk import (
    Conflict,
    CredentialCipher,
    CredentialsUnreadable,
    NotFound,
    SecretKeyInvalid,
    SecretKeyRequired,
    SyncHub,
    SyncSdkError,
    ValidationError,
    signals,
)
from sync_sdk.events import EventEnvelope
from sync_sdk.operations.tables import CONNECTIONS, IDEMPOTENCY_KEYS
from sync_sdk.storage import open_storage

from .conftest import OTHER_ORG_USER, USER
from .hubkit import CONNECTION, CREDENTIALS, SECRET_KEY, received, rows

# What must never be seen outside the token: each value of the credentials, and their JSON
SECRETS = [*CREDENTIALS.values(), json.dumps(CREDENTIALS, sort_keys=True, separators=(",", ":"))]


def leaked(text: str) -> list[str]:
    return [secret for secret in SECRETS if secret in text]


@pytest.fixture
def hub(url: str) -> Iterator[SyncHub]:
    with SyncHub(url, secret_key=SECRET_KEY) as hub:
        yield hub


def stored_text(hub: SyncHub, backend: str, url: str) -> str:
    """Everything the backend holds, as text: the SQL databases' rows read with their own
    drivers (``url``: the PostgreSQL schema's, with its password), the memory store's dicts."""
    storage: Any = hub.storage
    if backend == "memory":
        state = storage._state  # the backend's own dicts: no API reads them all
        return repr(vars(state)) + repr(state.tables.rows)
    if backend in ("sqlite-memory", "sqlite-file"):
        return "\n".join(storage.db.conn.iterdump())
    import psycopg

    dump = []
    with psycopg.connect(url) as db:
        tables = [
            row[0]
            for row in db.execute(
                "SELECT table_name FROM information_schema.tables"
                " WHERE table_schema = current_schema()"
            )
        ]
        assert "connections" in tables
        for table in tables:
            dump.extend(str(row[0]) for row in db.execute(f"SELECT t::text FROM {table} t"))
    return "\n".join(dump)


def test_credentials_are_stored_encrypted(hub: SyncHub, backend: str, url: str) -> None:
    connection = hub.create_connection({**CONNECTION, "credentials": CREDENTIALS}, actor=USER)
    with hub.storage.unit_of_work(write=False) as uow:
        token = uow.table(CONNECTIONS).value(USER.org_id, connection.id, "credentials")
    assert isinstance(token, str) and token.startswith("gAAAAA")  # a Fernet token
    assert CredentialCipher(SECRET_KEY).decrypt(token) == CREDENTIALS
    everything = stored_text(hub, backend, url)
    assert token in everything  # the dump does hold the connection's row
    assert leaked(everything) == []
    assert hub.connection_credentials(connection.id, actor=USER) == CREDENTIALS


def test_the_sqlite_file_never_holds_the_clear_text(tmp_path: Path) -> None:
    path = tmp_path / "hub.db"
    with SyncHub(f"sqlite:///{path}", secret_key=SECRET_KEY) as hub:
        connection = hub.create_connection({**CONNECTION, "credentials": CREDENTIALS}, actor=USER)
        files = sorted(tmp_path.glob("hub.db*"))  # the database and its write-ahead log
        while_open = b"".join(f.read_bytes() for f in files)
        assert connection.id.encode() in while_open
    after_close = path.read_bytes()
    assert connection.id.encode() in after_close
    for data in (while_open, after_close):
        assert [s for s in SECRETS if s.encode() in data] == []
    with SyncHub(f"sqlite:///{path}", secret_key=SECRET_KEY) as hub:
        assert hub.connection_credentials(connection.id, actor=USER) == CREDENTIALS


def test_credentials_are_shown_nowhere_else(hub: SyncHub, caplog: pytest.LogCaptureFixture) -> None:
    def broken(sender: object, *, event: EventEnvelope) -> None:
        raise RuntimeError(f"receiver failed on {event!r}")

    errors: list[Exception] = []
    with caplog.at_level(logging.DEBUG), received() as got:
        with signals.connection_created.connected_to(broken):
            connection = hub.create_connection(
                {**CONNECTION, "credentials": CREDENTIALS}, actor=USER, idempotency_key="k-1"
            )
        replay = hub.create_connection(
            {**CONNECTION, "credentials": CREDENTIALS}, actor=USER, idempotency_key="k-1"
        )
        assert hub.redeliver_pending() == 1
        for bad in (
            lambda: hub.create_connection(
                {**CONNECTION, "credentials": {**CREDENTIALS, "x": 1}},
                actor=USER,
                idempotency_key="k-1",
            ),
            lambda: hub.create_connection(
                {**CONNECTION, "name": 5, "credentials": {**CREDENTIALS, "nan": float("nan")}},
                actor=USER,
            ),
            lambda: SyncHub(hub.storage).create_connection(
                {**CONNECTION, "credentials": CREDENTIALS}, actor=USER
            ),
            lambda: hub.connection_credentials(connection.id, actor=OTHER_ORG_USER),
            lambda: SyncHub(hub.storage, secret_key=Fernet.generate_key()).connection_credentials(
                connection.id, actor=USER
            ),
        ):
            with pytest.raises(SyncSdkError) as info:
                bad()
            errors.append(info.value)
        fetched = hub.get_connection(connection.id, actor=USER)
    assert [type(e) for e in errors] == [
        Conflict,
        ValidationError,
        SecretKeyRequired,
        NotFound,
        CredentialsUnreadable,
    ]
    for error in errors:
        shown = str(error) + repr(error) + json.dumps(error.to_problem()) + repr(error.__cause__)
        assert leaked(shown) == [], error
    # two events: the first delivery and its redelivery
    assert [e.key for _, e in got] == ["integration.connection.created"] * 2
    shown = [
        repr(connection),
        json.dumps(connection.to_dict()),
        repr(replay),
        repr(fetched),
        repr(hub),
        *(repr(e) + json.dumps(e.to_dict()) for _, e in got),
        *(json.dumps(r.to_dict()) for r in hub.audit_log(actor=USER)),
        caplog.text,
    ]
    with hub.storage.unit_of_work(write=False) as uow:
        shown += [repr(e) for e in uow.outbox.list()]
        shown += [repr(r) for r in uow.table(IDEMPOTENCY_KEYS).find(USER.org_id)]
    assert [leaked(text) for text in shown] == [[]] * len(shown)
    assert "RuntimeError" in caplog.text  # the log was captured at all
    assert replay == connection == fetched


def test_the_input_model_hides_them() -> None:
    from sync_sdk.models import CreateConnectionInput

    command = CreateConnectionInput.from_dict({**CONNECTION, "credentials": CREDENTIALS})
    assert command.credentials == CREDENTIALS
    assert leaked(repr(command)) == []


def test_only_the_connections_org_reads_them(hub: SyncHub) -> None:
    connection = hub.create_connection({**CONNECTION, "credentials": CREDENTIALS}, actor=USER)
    assert hub.connection_credentials(connection.id, actor=USER) == CREDENTIALS
    with pytest.raises(NotFound) as info:
        hub.connection_credentials(connection.id, actor=OTHER_ORG_USER)
    with pytest.raises(NotFound) as missing:
        hub.connection_credentials("conn_missing", actor=OTHER_ORG_USER)
    assert str(info.value) == str(missing.value).replace("conn_missing", connection.id)


def test_without_a_key_credentials_are_refused_and_nothing_is_written(
    url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("SYNC_SDK_SECRET_KEY", raising=False)
    with SyncHub(url) as hub, received() as got:
        before = rows(hub)
        with pytest.raises(SecretKeyRequired) as info:
            hub.create_connection(
                {**CONNECTION, "credentials": CREDENTIALS}, actor=USER, idempotency_key="k"
            )
        assert isinstance(info.value, SyncSdkError)
        assert "secret_key=" in str(info.value) and "SYNC_SDK_SECRET_KEY" in str(info.value)
        assert rows(hub) == before
        assert got == []
        # a connection without credentials needs no key (and the key was not taken)
        plain = hub.create_connection(CONNECTION, actor=USER, idempotency_key="k")
        assert hub.get_connection(plain.id, actor=USER) == plain
        assert hub.connection_credentials(plain.id, actor=USER) is None
        assert [e.payload for _, e in got] == [plain]


def test_a_hub_without_the_key_cannot_read_them(url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SYNC_SDK_SECRET_KEY", raising=False)
    storage = open_storage(url)
    try:
        connection = SyncHub(storage, secret_key=SECRET_KEY).create_connection(
            {**CONNECTION, "credentials": CREDENTIALS}, actor=USER
        )
        with pytest.raises(SecretKeyRequired):
            SyncHub(storage).connection_credentials(connection.id, actor=USER)
        with pytest.raises(CredentialsUnreadable):
            SyncHub(storage, secret_key=Fernet.generate_key()).connection_credentials(
                connection.id, actor=USER
            )
    finally:
        storage.close()


@pytest.mark.parametrize("form", ["bytes", "str", "list", "comma-separated", "env"])
def test_the_key_in_each_form_and_its_rotation(
    url: str, form: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    old, new = Fernet.generate_key(), Fernet.generate_key()

    def hub_with(*keys: bytes) -> SyncHub:
        if form == "bytes":
            return SyncHub(storage, secret_key=b",".join(keys))
        if form == "str":
            return SyncHub(storage, secret_key=",".join(k.decode() for k in keys))
        if form == "list":
            return SyncHub(storage, secret_key=[k.decode() for k in keys])
        if form == "comma-separated":
            return SyncHub(storage, secret_key=" , ".join(k.decode() for k in keys))
        monkeypatch.setenv("SYNC_SDK_SECRET_KEY", ",".join(k.decode() for k in keys))
        return SyncHub(storage)

    storage = open_storage(url)
    try:
        first = hub_with(old).create_connection(
            {**CONNECTION, "credentials": {"token": "old-one"}}, actor=USER
        )
        rotating = hub_with(new, old)  # the new key first: it encrypts, both decrypt
        second = rotating.create_connection(
            {**CONNECTION, "credentials": {"token": "new-one"}}, actor=USER
        )
        assert rotating.connection_credentials(first.id, actor=USER) == {"token": "old-one"}
        assert rotating.connection_credentials(second.id, actor=USER) == {"token": "new-one"}
        only_new = hub_with(new)
        assert only_new.connection_credentials(second.id, actor=USER) == {"token": "new-one"}
        with pytest.raises(CredentialsUnreadable):
            only_new.connection_credentials(first.id, actor=USER)
    finally:
        storage.close()


def test_a_bad_key_is_refused_when_the_hub_is_made(monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(SecretKeyInvalid):
        SyncHub("memory://", secret_key="not a key")
    monkeypatch.setenv("SYNC_SDK_SECRET_KEY", "not a key")
    with pytest.raises(SecretKeyInvalid, match=r"\$SYNC_SDK_SECRET_KEY"):
        SyncHub("memory://")


def test_idempotency_compares_credentials_by_a_keyed_fingerprint(url: str) -> None:
    data = {**CONNECTION, "credentials": CREDENTIALS}
    with SyncHub(url, secret_key=SECRET_KEY) as hub, received() as got:
        first = hub.create_connection(data, actor=USER, idempotency_key="k")
        before = rows(hub)
        # the same credentials: the first connection, nothing written or sent
        assert hub.create_connection(dict(data), actor=USER, idempotency_key="k") == first
        assert rows(hub) == before and len(got) == 1
        # other credentials under the same key: a conflict
        with pytest.raises(Conflict):
            hub.create_connection(
                {**data, "credentials": {**CREDENTIALS, "clientSecret": "other"}},
                actor=USER,
                idempotency_key="k",
            )
        assert rows(hub) == before and len(got) == 1
        with hub.storage.unit_of_work(write=False) as uow:
            (record,) = uow.table(IDEMPOTENCY_KEYS).find(USER.org_id)
        assert leaked(repr(record)) == []
        stored_hash = record.request_hash
    # no plain digest of the input: not one a guess of the credentials could be checked with
    for wire in (data, {**data, **dict.fromkeys(_ABSENT)}):
        canonical = json.dumps(
            {"operation": "integration.connection.create", "version": "1.0.0", "input": wire},
            sort_keys=True,
            separators=(",", ":"),
        )
        assert hashlib.sha256(canonical.encode()).hexdigest() != stored_hash
    # and the digest depends on the key: another key makes another one for the same input
    with SyncHub("memory://", secret_key=Fernet.generate_key()) as other:
        other.create_connection(data, actor=USER, idempotency_key="k")
        with other.storage.unit_of_work(write=False) as uow:
            (record,) = uow.table(IDEMPOTENCY_KEYS).find(USER.org_id)
        assert record.request_hash != stored_hash


_ABSENT = ("transport", "authMethod", "apiVersion", "ownershipMode")
