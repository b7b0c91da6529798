"""SyncHub.create/get/list/audit_log through every backend."""

from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest

from sync_sdk import (
    Actor,
    AuthenticationRequired,
    ConfigurationError,
    Conflict,
    NotFound,
    SyncConfig,
    SyncDirection,
    SyncHub,
    ValidationError,
)
from sync_sdk.events import EventEnvelope

from .conftest import OTHER_ORG_USER, USER, VALID_INPUT, counts


def test_create_returns_the_contract_output(hub: SyncHub) -> None:
    cfg = hub.create_sync_config(VALID_INPUT, actor=USER)
    assert cfg.id.startswith("sync_")
    assert cfg.to_dict() == {
        "id": cfg.id,
        **VALID_INPUT,
        "scheduleEnabled": False,
        "scheduleCron": None,
        "isActive": True,
        "lastSyncAt": None,
        "fieldMappings": [],
    }


def test_keywords_are_snake_case(hub: SyncHub) -> None:
    cfg = hub.create_sync_config(
        integration_id="int-1",
        connection_id="conn-1",
        name="Contacts Sync",
        direction="OUTBOUND",
        source_object="contacts",
        target_object="contacts",
        schedule_enabled=True,
        schedule_cron="*/5 * * * *",
        actor=USER,
    )
    assert cfg.direction is SyncDirection.OUTBOUND
    assert cfg.schedule_cron == "*/5 * * * *"
    assert hub.get_sync_config(cfg.id, actor=USER) == cfg


def test_mapping_and_keywords_together_raise_type_error(hub: SyncHub) -> None:
    with pytest.raises(TypeError):
        hub.create_sync_config(VALID_INPUT, name="other", actor=USER)
    assert counts(hub) == (0, 0, 0)


def test_unknown_keyword_is_a_validation_issue(hub: SyncHub) -> None:
    with pytest.raises(ValidationError) as info:
        hub.create_sync_config(
            integration_id="int-1",
            connection_id="conn-1",
            name="n",
            direction="INBOUND",
            source_object="a",
            target_object="b",
            source_connection_id="conn-1",
            actor=USER,
        )
    assert [(i.path, i.code) for i in info.value.issues] == [
        ("sourceConnectionId", "unknown_field")
    ]


def test_ids_are_unique(hub: SyncHub) -> None:
    ids = {hub.create_sync_config(VALID_INPUT, actor=USER).id for _ in range(50)}
    assert len(ids) == 50


@pytest.mark.parametrize(
    "actor",
    [None, Actor.anonymous(), Actor(id="", org_id="org-1"), Actor(id="u", org_id=" "), "user-1"],
)
def test_policy_user_requires_an_authenticated_actor(
    hub: SyncHub, events: list[EventEnvelope], actor: object
) -> None:
    with pytest.raises(AuthenticationRequired) as info:
        hub.create_sync_config(VALID_INPUT, actor=actor)  # type: ignore[arg-type]
    assert info.value.to_problem()["status"] == 401
    assert counts(hub) == (0, 0, 0)
    assert events == []


def test_validation_comes_before_authorization(hub: SyncHub) -> None:
    with pytest.raises(ValidationError):
        hub.create_sync_config({"name": "x"}, actor=None)


def test_rejected_input_writes_and_publishes_nothing(
    hub: SyncHub, events: list[EventEnvelope]
) -> None:
    with pytest.raises(ValidationError):
        hub.create_sync_config({**VALID_INPUT, "direction": "outbound"}, actor=USER)
    assert counts(hub) == (0, 0, 0)
    assert events == []


def test_get_of_another_org_is_not_found(hub: SyncHub) -> None:
    cfg = hub.create_sync_config(VALID_INPUT, actor=USER)
    with pytest.raises(NotFound) as info:
        hub.get_sync_config(cfg.id, actor=OTHER_ORG_USER)
    with pytest.raises(NotFound) as missing:
        hub.get_sync_config("sync_missing", actor=OTHER_ORG_USER)
    # the same answer as for an id that does not exist: no hint that it exists elsewhere
    assert type(info.value) is type(missing.value)
    assert info.value.to_problem()["status"] == 404
    assert "permission" not in str(info.value).lower()


def test_reads_require_authentication(hub: SyncHub) -> None:
    cfg = hub.create_sync_config(VALID_INPUT, actor=USER)
    with pytest.raises(AuthenticationRequired):
        hub.get_sync_config(cfg.id, actor=Actor.anonymous())
    with pytest.raises(AuthenticationRequired):
        hub.list_sync_configs(actor=None)
    with pytest.raises(AuthenticationRequired):
        hub.audit_log(actor=Actor.anonymous())


def test_get_with_a_non_string_id_is_not_found(hub: SyncHub) -> None:
    with pytest.raises(NotFound):
        hub.get_sync_config(123, actor=USER)  # type: ignore[arg-type]


def test_list_is_scoped_paged_and_counted(hub: SyncHub) -> None:
    mine = [hub.create_sync_config({**VALID_INPUT, "name": f"n{i}"}, actor=USER) for i in range(5)]
    hub.create_sync_config(VALID_INPUT, actor=OTHER_ORG_USER)
    page = hub.list_sync_configs(actor=USER, limit=2, offset=0)
    assert page.total == 5
    assert list(page.items) == mine[:2]
    assert page.has_more
    page = hub.list_sync_configs(actor=USER, limit=2, offset=4)
    assert list(page.items) == mine[4:]
    assert not page.has_more
    assert hub.list_sync_configs(actor=OTHER_ORG_USER).total == 1


@pytest.mark.parametrize(
    ("limit", "offset"), [(0, 0), (-1, 0), (1001, 0), ("5", 0), (5, -1), (5, 1.0)]
)
def test_list_rejects_bad_paging(hub: SyncHub, limit: object, offset: object) -> None:
    with pytest.raises(ValidationError):
        hub.list_sync_configs(actor=USER, limit=limit, offset=offset)  # type: ignore[arg-type]


def test_audit_record_per_create(hub: SyncHub, events: list[EventEnvelope]) -> None:
    cfg = hub.create_sync_config(VALID_INPUT, actor=USER)
    hub.create_sync_config(VALID_INPUT, actor=OTHER_ORG_USER)
    (record,) = hub.audit_log(actor=USER)
    assert record.key == "integration.syncConfig.created"
    assert (record.actor_id, record.org_id, record.subject_id) == ("user-1", "org-1", cfg.id)
    assert record.event_id == events[0].id
    assert record.occurred_at == events[0].occurred_at
    assert record.occurred_at.tzinfo is not None


def test_idempotent_retry_returns_the_first_config(
    hub: SyncHub, events: list[EventEnvelope]
) -> None:
    first = hub.create_sync_config(VALID_INPUT, actor=USER, idempotency_key="k-1")
    again = hub.create_sync_config(
        integration_id="int-1",
        connection_id="conn-1",
        name="Contacts Sync",
        direction="OUTBOUND",
        source_object="contacts",
        target_object="contacts",
        actor=USER,
        idempotency_key="k-1",
    )
    assert again == first
    assert counts(hub) == (1, 1, 1)
    assert len(events) == 1


def test_idempotency_key_with_other_input_conflicts(
    hub: SyncHub, events: list[EventEnvelope]
) -> None:
    hub.create_sync_config(VALID_INPUT, actor=USER, idempotency_key="k-1")
    with pytest.raises(Conflict) as info:
        hub.create_sync_config({**VALID_INPUT, "name": "Other"}, actor=USER, idempotency_key="k-1")
    assert info.value.to_problem()["status"] == 409
    assert counts(hub) == (1, 1, 1)
    assert len(events) == 1


def test_idempotency_keys_are_per_org(hub: SyncHub) -> None:
    a = hub.create_sync_config(VALID_INPUT, actor=USER, idempotency_key="k")
    b = hub.create_sync_config(VALID_INPUT, actor=OTHER_ORG_USER, idempotency_key="k")
    assert a.id != b.id
    assert counts(hub) == (2, 2, 2)


@pytest.mark.parametrize("key", ["", " ", 5, "k" * 1025, "a\x00"])
def test_bad_idempotency_key_is_a_validation_error(hub: SyncHub, key: object) -> None:
    with pytest.raises(ValidationError) as info:
        hub.create_sync_config(VALID_INPUT, actor=USER, idempotency_key=key)  # type: ignore[arg-type]
    assert info.value.issues[0].path == "idempotencyKey"
    assert counts(hub) == (0, 0, 0)


def test_clock_and_id_factory_are_used(url: str, events: list[EventEnvelope]) -> None:
    at = datetime(2026, 1, 2, 3, 4, 5, tzinfo=timezone(timedelta(hours=2)))
    with SyncHub(url, clock=lambda: at, id_factory=lambda: "sync-123") as hub:
        cfg = hub.create_sync_config(VALID_INPUT, actor=USER)
        assert cfg.id == "sync-123"
        assert events[0].occurred_at == at
        assert events[0].occurred_at.tzinfo == UTC
        assert hub.audit_log(actor=USER)[0].occurred_at == at


def test_duplicate_id_from_factory_is_a_conflict(url: str) -> None:
    with SyncHub(url, id_factory=lambda: "same") as hub:
        hub.create_sync_config(VALID_INPUT, actor=USER)
        with pytest.raises(Conflict, match="id_factory"):
            hub.create_sync_config(VALID_INPUT, actor=USER)
        assert counts(hub) == (1, 1, 1)
        # the hub keeps working after a failed write
        assert hub.get_sync_config("same", actor=USER).id == "same"


def test_each_default_hub_has_its_own_private_database() -> None:
    with SyncHub() as a, SyncHub() as b:
        a.create_sync_config(VALID_INPUT, actor=USER)
        assert b.list_sync_configs(actor=USER).total == 0
        assert a.storage.url.startswith("sqlite")


def test_storage_url_from_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    db = tmp_path / "env.db"
    monkeypatch.setenv("SYNC_SDK_STORAGE_URL", f"sqlite:///{db}")
    with SyncHub() as hub:
        hub.create_sync_config(VALID_INPUT, actor=USER)
    assert db.exists()
    with SyncHub(f"sqlite:///{db}") as hub:
        assert hub.list_sync_configs(actor=USER).total == 1


def test_storage_object_is_accepted() -> None:
    from sync_sdk.storage.memory import MemoryStorage

    storage = MemoryStorage()
    with SyncHub(storage) as hub:
        hub.create_sync_config(VALID_INPUT, actor=USER)
    # the hub does not close a store it was given
    with SyncHub(storage) as hub:
        assert hub.list_sync_configs(actor=USER).total == 1


@pytest.mark.parametrize("url", ["mysql://x", "sqlite:///x.db?journal=off", "nope"])
def test_unknown_storage_url(url: str) -> None:
    with pytest.raises(ConfigurationError):  # also a ValueError
        SyncHub(url)


def test_output_round_trips_through_the_wire(hub: SyncHub) -> None:
    cfg = hub.create_sync_config(VALID_INPUT, actor=USER)
    assert SyncConfig.from_dict(cfg.to_dict()) == cfg
