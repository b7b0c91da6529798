"""The hub's ``entity_id_factory``: how the ids of integrations, connections, mappings and runs
are drawn (and pinned, by the acceptance harness)."""

from __future__ import annotations

import re

import pytest
from cryptography.fernet import Fernet

from sync_sdk import Actor, SyncHub
from sync_sdk.errors import ConfigurationTypeError
from sync_sdk.testing.harness import ScenarioIds

USER = Actor(id="user-1", org_id="org-1")
CONFIG = {
    "integrationId": "int-1",
    "connectionId": "conn-1",
    "name": "Contacts Sync",
    "direction": "OUTBOUND",
    "sourceObject": "contacts",
    "targetObject": "contacts",
}


def _every_entity(hub: SyncHub) -> list[str]:
    integration = hub.create_integration(name="Slack", slug="slack", provider="slack", actor=USER)
    connection = hub.create_connection(
        integration_id=integration.id, name="Prod", auth_type="oauth2", actor=USER
    )
    config = hub.create_sync_config(CONFIG, actor=USER)
    mapping = hub.add_field_mapping(
        sync_config_id=config.id,
        source_field="email",
        target_field="email",
        mapping_type="DIRECT",
        actor=USER,
    )
    run = hub.trigger_sync(sync_config_id=config.id, actor=USER)
    return [integration.id, connection.id, config.id, mapping.id, run.id]


def test_each_entity_asks_the_factory_with_its_prefix() -> None:
    asked: list[str] = []

    def ids(prefix: str) -> str:
        asked.append(prefix)
        return f"{prefix}{len(asked)}"

    with SyncHub(entity_id_factory=ids) as hub:
        made = _every_entity(hub)
    assert asked == ["int_", "conn_", "map_", "run_"]
    assert made[:2] + made[3:] == ["int_1", "conn_2", "map_3", "run_4"]
    assert re.fullmatch(r"sync_[0-9a-f]{32}", made[2])  # config ids: id_factory's


def test_without_a_factory_ids_are_the_prefix_and_32_hex_digits() -> None:
    with SyncHub() as hub:
        made = _every_entity(hub)
    for entity_id, prefix in zip(made, ["int_", "conn_", "sync_", "map_", "run_"], strict=True):
        assert re.fullmatch(prefix + r"[0-9a-f]{32}", entity_id), entity_id


def test_a_factory_of_the_wrong_kind_is_refused() -> None:
    with pytest.raises(ConfigurationTypeError, match="entity_id_factory must be callable"):
        SyncHub(entity_id_factory="int_1")  # type: ignore[arg-type]
    with SyncHub(entity_id_factory=lambda prefix: 42) as hub:  # type: ignore[arg-type,return-value]
        with pytest.raises(ConfigurationTypeError, match="must return a str, not int"):
            hub.create_integration(name="Slack", slug="slack", provider="slack", actor=USER)
        with hub.storage.unit_of_work(write=False) as uow:
            assert uow.audit.count() == uow.outbox.count() == 0  # nothing was written


def test_scenario_ids_pin_the_next_id_of_each_prefix() -> None:
    ids = ScenarioIds(shared=False)
    ids.pin("run-789", "run_")
    ids.pin("sync-123")
    with SyncHub(
        id_factory=ids, entity_id_factory=ids.entity_id, secret_key=Fernet.generate_key()
    ) as hub:
        config = hub.create_sync_config(CONFIG, actor=USER)
        first = hub.trigger_sync(sync_config_id=config.id, actor=USER)
    assert (config.id, first.id) == ("sync-123", "run-789")
    assert ids.was_pinned("run-789") and not ids.was_pinned(ids.entity_id("run_"))


def test_scenario_ids_on_a_shared_store_add_the_scenario_token() -> None:
    ids = ScenarioIds(shared=True)
    actual = ids.pin("map-456", "map_")
    assert actual == f"map-456-{ids.token}" == ids.entity_id("map_") == ids.actual("map-456")
    assert ids.actual("other") == "other"
