"""Events: declared only, after commit only, one receiver's failure isolated, redelivery."""

import logging
from datetime import UTC

import pytest

from sync_sdk import SyncConfig, SyncHub, signals
from sync_sdk.contracts import CREATE_SYNC_CONFIG
from sync_sdk.errors import EventNotDeclared
from sync_sdk.events import EventEnvelope, build_event, deliver

from .conftest import USER, VALID_INPUT, counts


def test_signal_lives_in_a_private_namespace() -> None:
    import blinker

    assert signals.sync_config_created.name == "integration.syncConfig.created"
    assert signals.sync_config_created is not blinker.signal("integration.syncConfig.created")
    assert signals.signal_for("integration.syncConfig.created") is signals.sync_config_created


@pytest.mark.parametrize(
    ("name", "key"),
    [
        ("sync_config_created", "integration.syncConfig.created"),
        ("integration_created", "integration.created"),
        ("connection_created", "integration.connection.created"),
        ("field_mapping_added", "integration.fieldMapping.added"),
        ("sync_started", "integration.sync.started"),
        ("sync_completed", "integration.sync.completed"),
        ("sync_failed", "integration.sync.failed"),
    ],
)
def test_one_named_signal_per_hub_event(name: str, key: str) -> None:
    signal = getattr(signals, name)
    assert name in signals.__all__
    assert signal.name == key
    assert signals.namespace[key] is signal
    assert signals.signal_for(key) is signal


def test_every_emitted_event_has_a_named_signal() -> None:
    from sync_sdk.contracts import HUB_CONTRACTS

    named = {
        getattr(signals, n).name for n in signals.__all__ if n not in {"namespace", "signal_for"}
    }
    assert {e.key for c in HUB_CONTRACTS for e in c.side_effects.emits} <= named


def test_envelope(hub: SyncHub) -> None:
    got: list[tuple[object, EventEnvelope]] = []

    def receiver(sender: object, *, event: EventEnvelope) -> None:
        got.append((sender, event))

    with signals.sync_config_created.connected_to(receiver):
        cfg = hub.create_sync_config(VALID_INPUT, actor=USER)
    ((sender, event),) = got
    assert sender is hub
    assert event.key == "integration.syncConfig.created"
    assert event.version == "1.0.0"
    assert event.occurred_at.tzinfo == UTC
    assert event.payload == cfg
    assert (event.actor_id, event.org_id) == ("user-1", "org-1")
    assert event.id.startswith("evt_")
    assert event.to_dict()["payload"] == cfg.to_dict()


def test_event_is_published_after_commit(hub: SyncHub) -> None:
    seen: list[tuple[int, int, int]] = []

    def receiver(sender: SyncHub, *, event: EventEnvelope) -> None:
        # the config is readable by anyone at the time the event arrives
        seen.append(counts(sender))
        assert sender.get_sync_config(event.payload.id, actor=USER) == event.payload

    with signals.sync_config_created.connected_to(receiver):
        hub.create_sync_config(VALID_INPUT, actor=USER)
    assert seen == [(1, 1, 1)]


def test_failing_receiver_is_isolated(
    hub: SyncHub, events: list[EventEnvelope], caplog: pytest.LogCaptureFixture
) -> None:
    def broken(sender: object, *, event: EventEnvelope) -> None:
        raise RuntimeError("subscriber bug")

    with signals.sync_config_created.connected_to(broken), caplog.at_level(logging.ERROR):
        cfg = hub.create_sync_config(VALID_INPUT, actor=USER)
    assert hub.get_sync_config(cfg.id, actor=USER) == cfg
    assert [e.payload for e in events] == [cfg]  # the other receiver got it
    assert "subscriber bug" in caplog.text
    # the event stays undelivered, and goes out again on request
    events.clear()
    assert hub.redeliver_pending() == 1
    assert [e.payload for e in events] == [cfg]
    assert hub.redeliver_pending() == 0


def test_redelivery_keeps_failing_events_pending(hub: SyncHub) -> None:
    calls: list[str] = []

    def broken(sender: object, *, event: EventEnvelope) -> None:
        calls.append(event.id)
        raise RuntimeError("still broken")

    with signals.sync_config_created.connected_to(broken):
        hub.create_sync_config(VALID_INPUT, actor=USER)
        assert hub.redeliver_pending() == 0
        assert hub.redeliver_pending() == 0
    assert len(calls) == 3
    assert hub.redeliver_pending() == 1  # nobody fails now
    assert hub.redeliver_pending() == 0


def test_delivered_events_are_not_redelivered(hub: SyncHub, events: list[EventEnvelope]) -> None:
    for _ in range(3):
        hub.create_sync_config(VALID_INPUT, actor=USER)
    assert hub.redeliver_pending() == 0
    assert len(events) == 3
    with hub.storage.unit_of_work(write=False) as uow:
        assert uow.outbox.count(pending_only=True) == 0


def test_muted_signal_sends_nothing(hub: SyncHub, events: list[EventEnvelope]) -> None:
    with signals.sync_config_created.muted():
        hub.create_sync_config(VALID_INPUT, actor=USER)
    assert events == []


def test_only_declared_events_can_be_built() -> None:
    cfg = SyncConfig.from_dict(dict(CREATE_SYNC_CONFIG.acceptance.examples[0].output))
    kwargs = {"event_id": "e", "occurred_at": None, "actor_id": "u", "org_id": "o"}
    with pytest.raises(EventNotDeclared):
        build_event(CREATE_SYNC_CONFIG, "integration.syncConfig.deleted", cfg, **kwargs)  # type: ignore[arg-type]
    with pytest.raises(EventNotDeclared):
        build_event(CREATE_SYNC_CONFIG, "integration.syncConfig.created", {"id": "x"}, **kwargs)  # type: ignore[arg-type]


def test_only_declared_events_can_be_delivered() -> None:
    from datetime import datetime

    cfg = SyncConfig.from_dict(dict(CREATE_SYNC_CONFIG.acceptance.examples[0].output))
    bogus = EventEnvelope(
        "e", "integration.syncConfig.deleted", "1.0.0", datetime.now(UTC), cfg, "u", "o"
    )
    with pytest.raises(EventNotDeclared):
        deliver(CREATE_SYNC_CONFIG, object(), bogus)
    wrong_version = EventEnvelope(
        "e", "integration.syncConfig.created", "2.0.0", datetime.now(UTC), cfg, "u", "o"
    )
    with pytest.raises(EventNotDeclared):
        deliver(CREATE_SYNC_CONFIG, object(), wrong_version)


def test_a_batch_sends_one_envelope_per_config_in_order(
    hub: SyncHub, events: list[EventEnvelope]
) -> None:
    items = [{**VALID_INPUT, "name": f"Sync {i}"} for i in range(40)]
    configs = hub.create_sync_configs(items, actor=USER)
    assert [e.payload for e in events] == configs
    assert len({e.id for e in events}) == 40
    assert {(e.key, e.version, e.actor_id, e.org_id) for e in events} == {
        ("integration.syncConfig.created", "1.0.0", "user-1", "org-1")
    }
    assert len({e.occurred_at for e in events}) == 1
    # a batch's ids ascend in the order its items were given, as the rows are written
    assert [c.id for c in configs] == sorted(c.id for c in configs)
    assert [e.id for e in events] == sorted(e.id for e in events)
    with hub.storage.unit_of_work(write=False) as uow:
        stored = {e.id: e.subject_id for e in uow.outbox.list()}
    assert {e.id: e.payload.id for e in events} == stored


@pytest.mark.parametrize("muted", [False, True], ids=["no-receiver", "muted"])
def test_events_nobody_listens_to_count_as_delivered(hub: SyncHub, muted: bool) -> None:
    if muted:
        with signals.sync_config_created.muted():
            hub.create_sync_configs([VALID_INPUT] * 3, actor=USER)
            hub.create_sync_config(VALID_INPUT, actor=USER)
    else:
        hub.create_sync_configs([VALID_INPUT] * 3, actor=USER)
        hub.create_sync_config(VALID_INPUT, actor=USER)
    hub.flush()
    with hub.storage.unit_of_work(write=False) as uow:
        assert uow.outbox.count() == 4
        assert uow.outbox.count(pending_only=True) == 0
    got: list[EventEnvelope] = []

    def receiver(sender: object, *, event: EventEnvelope) -> None:
        got.append(event)

    with signals.sync_config_created.connected_to(receiver):
        assert hub.redeliver_pending() == 0
    assert got == []


def test_redelivery_decodes_each_event_by_its_declared_payload(
    hub: SyncHub, caplog: pytest.LogCaptureFixture
) -> None:
    import json
    from datetime import datetime

    from sync_sdk.models import Integration, IntegrationStatus
    from sync_sdk.records import OutboxEvent

    def broken(sender: object, *, event: EventEnvelope) -> None:
        raise RuntimeError("down")

    with signals.sync_config_created.connected_to(broken), caplog.at_level(logging.CRITICAL):
        cfg = hub.create_sync_config(VALID_INPUT, actor=USER)
    integration = Integration(
        id="int_0001",
        name="Slack",
        slug="slack",
        provider="slack",
        status=IntegrationStatus.ACTIVE,
        created_at=datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC),
    )

    def stored(event_id: str, key: str, payload: str) -> OutboxEvent:
        return OutboxEvent(
            id=event_id,
            key=key,
            version="1.0.0",
            occurred_at=datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC),
            actor_id=USER.id,
            org_id=USER.org_id,
            subject_id=cfg.id,
            payload_json=payload,
        )

    with hub.storage.unit_of_work() as uow:
        uow.outbox.add(
            stored("evt_integration", "integration.created", json.dumps(integration.to_dict()))
        )
        uow.outbox.add(stored("evt_unknown", "integration.somethingElse", '{"id": "x"}'))
        uow.commit()

    got: list[EventEnvelope] = []

    def receiver(sender: object, *, event: EventEnvelope) -> None:
        got.append(event)

    with (
        signals.sync_config_created.connected_to(receiver),
        signals.integration_created.connected_to(receiver),
        caplog.at_level(logging.WARNING, logger="sync_sdk.events"),
    ):
        assert hub.redeliver_pending() == 2
    assert {e.key: e.payload for e in got} == {
        "integration.syncConfig.created": cfg,
        "integration.created": integration,
    }
    assert type(got[[e.key for e in got].index("integration.created")].payload) is Integration
    assert "evt_unknown" in caplog.text and "integration.somethingElse" in caplog.text
    with hub.storage.unit_of_work(write=False) as uow:
        pending = [e for e in uow.outbox.list() if not e.delivered]
    # left pending and released (no lease): the next call claims it again, and leaves it again
    assert [(e.id, e.claimed_until) for e in pending] == [("evt_unknown", None)]
    assert hub.redeliver_pending() == 0
    with hub.storage.unit_of_work(write=False) as uow:
        assert uow.outbox.count(pending_only=True) == 1
