"""CREATE_SYNC_CONFIG holds the seed's values verbatim; the registry's rules."""

import re
from pathlib import Path

import attrs
import pytest

from sync_sdk import CreateSyncConfigInput, SyncConfig
from sync_sdk.contracts import (
    CREATE_SYNC_CONFIG,
    HUB_CONTRACTS,
    OWN_CONTRACTS,
    SEED_CREATE_CONTACT_SYNC_EXAMPLE,
    ContractRegistry,
    registry,
)

# The seed page, vendored verbatim (contracts/source/README.md says where it comes from)
SEED = (
    Path(__file__).resolve().parents[1]
    / "contracts"
    / "source"
    / "seed"
    / "integration.syncConfig.create.md"
)


def test_meta_is_the_seeds() -> None:
    meta = CREATE_SYNC_CONFIG.meta
    assert meta.key == "integration.syncConfig.create"
    assert meta.version == "1.0.0"
    assert meta.kind == "command"
    assert meta.stability == "stable"
    assert meta.owners == ("@example.integration-hub",)
    assert meta.tags == ("integration", "sync", "config", "create")
    assert meta.description == "Create a sync configuration."
    assert meta.goal == "Define how data should be synchronized."
    assert meta.context == "Sync setup."


def test_policy_side_effects_and_scenario_are_the_seeds() -> None:
    c = CREATE_SYNC_CONFIG
    assert c.policy.auth == "user"
    assert c.io.input is CreateSyncConfigInput
    assert c.io.output is SyncConfig
    (emitted,) = c.side_effects.emits
    assert (emitted.key, emitted.version, emitted.when, emitted.payload) == (
        "integration.syncConfig.created",
        "1.0.0",
        "Sync config created",
        SyncConfig,
    )
    assert c.side_effects.audit == ("integration.syncConfig.created",)
    (scenario,) = c.acceptance.scenarios
    assert scenario.key == "create-sync-happy-path"
    assert scenario.given == ("User is authenticated",)
    assert scenario.when == ("User creates sync config",)
    assert scenario.then == ("Sync config is created", "SyncConfigCreated event is emitted")


def test_every_quoted_string_of_the_seed_source_is_in_the_contract() -> None:
    source = SEED.read_text()
    body = source[source.index("defineCommand({") : source.index("examples:")]
    quoted = set(re.findall(r"'([^']*)'", body))
    values = set()
    c = CREATE_SYNC_CONFIG
    for part in (c.meta, c.policy, *c.side_effects.emits, *c.acceptance.scenarios):
        for value in attrs.asdict(part, recurse=False).values():
            values.update(value if isinstance(value, tuple) else [value])
    values.update(c.side_effects.audit)
    assert quoted <= {v for v in values if isinstance(v, str)}


def test_conforming_example_keeps_the_seeds_values() -> None:
    (example,) = CREATE_SYNC_CONFIG.acceptance.examples
    assert example.key == "create-contact-sync"
    assert example.input["name"] == "Contacts Sync"
    assert example.input["connectionId"] == "conn-1"
    assert example.output["id"] == "sync-123"
    assert example.output["isActive"] is True
    value = CreateSyncConfigInput.from_dict(example.input)  # conforms to the input model
    out = SyncConfig.from_dict(example.output)  # and to the output model
    assert out.name == value.name


def test_seed_example_is_kept_verbatim() -> None:
    assert SEED_CREATE_CONTACT_SYNC_EXAMPLE.key == "create-contact-sync"
    assert SEED_CREATE_CONTACT_SYNC_EXAMPLE.input == {
        "name": "Contacts Sync",
        "sourceConnectionId": "conn-1",
        "targetConnectionId": "conn-2",
    }
    assert SEED_CREATE_CONTACT_SYNC_EXAMPLE.output == {"id": "sync-123", "status": "active"}


def test_registry_lookup_by_key_takes_highest_semver() -> None:
    reg = ContractRegistry()
    versions = ["1.0.0", "1.10.0", "1.2.0", "2.0.0-rc.1"]
    for v in versions:
        reg.register(
            attrs.evolve(CREATE_SYNC_CONFIG, meta=attrs.evolve(CREATE_SYNC_CONFIG.meta, version=v))
        )
    assert reg.get("integration.syncConfig.create").version == "2.0.0-rc.1"
    assert reg.get("integration.syncConfig.create", "1.2.0").version == "1.2.0"
    with pytest.raises(KeyError):
        reg.get("integration.syncConfig.create", "9.9.9")
    with pytest.raises(KeyError):
        reg.get("nope")


def test_release_sorts_after_its_prerelease() -> None:
    reg = ContractRegistry()
    for v in ["2.0.0-rc.1", "2.0.0", "1.9.9"]:
        reg.register(
            attrs.evolve(CREATE_SYNC_CONFIG, meta=attrs.evolve(CREATE_SYNC_CONFIG.meta, version=v))
        )
    assert reg.get("integration.syncConfig.create").version == "2.0.0"


def test_registering_twice_raises() -> None:
    reg = ContractRegistry([CREATE_SYNC_CONFIG])
    with pytest.raises(ValueError, match="already registered"):
        reg.register(CREATE_SYNC_CONFIG)


def test_non_semver_is_refused() -> None:
    with pytest.raises(ValueError, match="semver"):
        ContractRegistry(
            [
                attrs.evolve(
                    CREATE_SYNC_CONFIG, meta=attrs.evolve(CREATE_SYNC_CONFIG.meta, version="1.0")
                )
            ]
        )


def test_shipped_registry() -> None:
    assert registry.get("integration.syncConfig.create") is CREATE_SYNC_CONFIG
    assert "integration.syncConfig.create" in registry
    # the six operations of the integration-hub feature and sync_sdk's own two, each
    # runnable by the hub
    assert [c.key for c in registry] == [
        "integration.connection.create",
        "integration.create",
        "integration.fieldMapping.add",
        "integration.sync.trigger",
        "integration.syncConfig.create",
        "integration.syncConfig.update",
        "integration.syncRun.cancel",
        "integration.syncRun.list",
    ]
    assert [c.key for c in registry] == sorted(c.key for c in HUB_CONTRACTS + OWN_CONTRACTS)
    # importing sync_sdk binds the handlers; the create runs on the hub's own path
    assert [o.contract.key for o in registry.operations()] == [
        "integration.connection.create",
        "integration.create",
        "integration.fieldMapping.add",
        "integration.sync.trigger",
        "integration.syncConfig.update",
        "integration.syncRun.cancel",
        "integration.syncRun.list",
    ]


def test_contract_is_frozen() -> None:
    with pytest.raises(attrs.exceptions.FrozenInstanceError):
        CREATE_SYNC_CONFIG.meta.key = "x"  # type: ignore[misc]
