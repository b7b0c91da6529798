"""Shared fixtures: every backend test runs against each configured storage URL."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from sync_sdk import Actor, SyncHub
from sync_sdk.events import EventEnvelope
from sync_sdk.signals import sync_config_created

VALID_INPUT = {
    "integrationId": "int-1",
    "connectionId": "conn-1",
    "name": "Contacts Sync",
    "direction": "OUTBOUND",
    "sourceObject": "contacts",
    "targetObject": "contacts",
}

USER = Actor(id="user-1", org_id="org-1")
OTHER_ORG_USER = Actor(id="user-2", org_id="org-2")

BACKENDS = ["memory", "sqlite-memory", "sqlite-file"]


def storage_url(backend: str, tmp_path: Path) -> str:
    """The storage URL of ``backend`` for one test."""
    if backend == "memory":
        return "memory://"
    if backend == "sqlite-memory":
        return "sqlite://"
    if backend == "sqlite-file":
        return f"sqlite:///{tmp_path / 'configs.db'}"
    raise ValueError(backend)


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def url(backend: str, tmp_path: Path) -> str:
    return storage_url(backend, tmp_path)


@pytest.fixture
def hub(url: str) -> Iterator[SyncHub]:
    with SyncHub(url) as hub:
        yield hub


@pytest.fixture
def events() -> Iterator[list[EventEnvelope]]:
    """Every ``integration.syncConfig.created`` event sent during the test."""
    received: list[EventEnvelope] = []

    def record(sender: object, *, event: EventEnvelope) -> None:
        received.append(event)

    with sync_config_created.connected_to(record):
        yield received


@pytest.fixture(autouse=True)
def _no_storage_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SYNC_SDK_STORAGE_URL", raising=False)


def counts(hub: SyncHub) -> tuple[int, int, int]:
    """(configs, audit records, outbox events) in the hub's storage, all orgs."""
    with hub.storage.unit_of_work(write=False) as uow:
        return uow.configs.count(), uow.audit.count(), uow.outbox.count()
