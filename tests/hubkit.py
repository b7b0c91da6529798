"""What the integration hub's tests share: inputs, a hub with a secret key, row counts of every
table, and a recorder of every signal the hub sends."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from typing import Any

from cryptography.fernet import Fernet

from sync_sdk import SyncConfig, SyncHub, SyncRun, SyncStatus, signals
from sync_sdk.events import EventEnvelope
from sync_sdk.operations.tables import (
    CONNECTIONS,
    FIELD_MAPPINGS,
    IDEMPOTENCY_KEYS,
    INTEGRATIONS,
    SYNC_RUNS,
)

from .conftest import OTHER_ORG_USER, USER, VALID_INPUT

#: The application's secret key of these tests (a fresh Fernet key per run).
SECRET_KEY = Fernet.generate_key()

INTEGRATION = {"name": "Slack", "slug": "slack", "provider": "slack"}
CONNECTION = {"integrationId": "int-1", "name": "Production", "authType": "oauth2"}
CREDENTIALS = {"clientId": "client-7f3a", "clientSecret": "s3cr3t-Zq9-value"}

ENTITY_TABLES = (INTEGRATIONS, CONNECTIONS, FIELD_MAPPINGS, SYNC_RUNS, IDEMPOTENCY_KEYS)
ORGS = (USER.org_id, OTHER_ORG_USER.org_id)

#: Every signal of an event the hub's operations declare, by event key.
SIGNALS = {
    s.name: s
    for s in (
        signals.sync_config_created,
        signals.integration_created,
        signals.connection_created,
        signals.field_mapping_added,
        signals.sync_started,
    )
}


def rows(hub: SyncHub) -> dict[str, int]:
    """How many rows each table holds (entity tables: in the tests' two orgs)."""
    with hub.storage.unit_of_work(write=False) as uow:
        found = {
            "sync_configs": uow.configs.count(),
            "audit": uow.audit.count(),
            "outbox": uow.outbox.count(),
        }
        for table in ENTITY_TABLES:
            found[table.name] = sum(uow.table(table).count(org) for org in ORGS)
    return found


@contextmanager
def received() -> Iterator[list[tuple[object, EventEnvelope]]]:
    """``(sender, event)`` of everything sent on any of the hub's signals meanwhile."""
    got: list[tuple[object, EventEnvelope]] = []

    def record(sender: object, *, event: EventEnvelope) -> None:
        got.append((sender, event))

    with ExitStack() as stack:
        for signal in SIGNALS.values():
            stack.enter_context(signal.connected_to(record))
        yield got


def new_config(hub: SyncHub, **changes: Any) -> SyncConfig:
    return hub.create_sync_config({**VALID_INPUT, **changes}, actor=USER)


def finish(hub: SyncHub, run: SyncRun, status: SyncStatus = SyncStatus.COMPLETED) -> None:
    """End ``run`` in storage (what a sync engine would do), so another may start."""
    with hub.storage.unit_of_work() as uow:
        assert uow.table(SYNC_RUNS).update(USER.org_id, run.id, {"status": status})
        uow.commit()
