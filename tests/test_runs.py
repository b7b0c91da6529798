"""The run lifecycle through the SDK, on every backend: run_pending, the state machine,
cancel_sync_run, update_sync_config, lease recovery, schedule_due and the argument checks.

Times come from the hub's ``clock`` (a :class:`Clock` the tests move), never the system's.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import attrs
import pytest
from cryptography.fernet import Fernet

from sync_sdk import (
    Actor,
    ConfigurationTypeError,
    Conflict,
    NotFound,
    SyncConfig,
    SyncHub,
    ValidationError,
)
from sync_sdk.engine import RunContext, SyncResult
from sync_sdk.events import EventEnvelope
from sync_sdk.models import SyncRun, SyncStatus
from sync_sdk.operations.tables import SYNC_RUNS
from sync_sdk.signals import signal_for
from sync_sdk.worker import LOST_WORKER

from .conftest import OTHER_ORG_USER, USER, storage_url

SECRET_KEY = Fernet.generate_key()
START = datetime(2026, 1, 1, 12, 0, 30, tzinfo=UTC)
CREDENTIALS = {"clientId": "abc", "clientSecret": "s3cret"}
WORKER_ID = "sync_sdk:worker"
SCHEDULER_ID = "sync_sdk:scheduler"

STARTED = "integration.sync.started"
COMPLETED = "integration.sync.completed"
FAILED = "integration.sync.failed"
CANCELLED = "integration.sync.cancelled"
UPDATED = "integration.syncConfig.updated"
RUN_EVENT_KEYS = (STARTED, COMPLETED, FAILED, CANCELLED, UPDATED)


class Clock:
    """A hub clock the test moves by hand."""

    def __init__(self, now: datetime = START) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> datetime:
        self.now += timedelta(**delta)
        return self.now


class WorkerDied(BaseException):
    """Raised by an engine to stand for its worker's death: run_pending does not catch it, so
    the run is left RUNNING under its lease, as a killed process leaves it."""


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def hub(url: str, clock: Clock) -> Iterator[SyncHub]:
    with SyncHub(url, clock=clock, secret_key=SECRET_KEY) as hub:
        yield hub


@pytest.fixture
def sent(hub: SyncHub) -> Iterator[list[EventEnvelope]]:
    """Every run lifecycle event the hub sends during the test, in order."""
    received: list[EventEnvelope] = []
    with listening(hub, received):
        yield received


@contextlib.contextmanager
def listening(hub: SyncHub, received: list[EventEnvelope]) -> Iterator[None]:
    def record(sender: object, *, event: EventEnvelope) -> None:
        received.append(event)

    with contextlib.ExitStack() as stack:
        for key in RUN_EVENT_KEYS:
            stack.enter_context(signal_for(key).connected_to(record, sender=hub))
        yield


def make_config(
    hub: SyncHub, actor: Actor = USER, *, credentials: Any = CREDENTIALS, **fields: Any
) -> SyncConfig:
    """A config of ``actor``'s org on a connection of its own (with ``credentials``)."""
    integration = hub.create_integration(name="Slack", slug="slack", provider="slack", actor=actor)
    connection = hub.create_connection(
        integration_id=integration.id,
        name="Prod",
        auth_type="oauth2",
        credentials=credentials,
        actor=actor,
    )
    values = {
        "integration_id": integration.id,
        "connection_id": connection.id,
        "name": "Contacts Sync",
        "direction": "INBOUND",
        "source_object": "contacts",
        "target_object": "people",
        **fields,
    }
    return hub.create_sync_config(actor=actor, **values)


def returning(result: SyncResult | None = None) -> Callable[[RunContext], SyncResult]:
    def engine(context: RunContext) -> SyncResult:
        return result or SyncResult()

    return engine


def must_not_run(context: RunContext) -> SyncResult:
    raise AssertionError(f"the engine was called for {context.run.id}")


def stored(hub: SyncHub) -> tuple[int, int]:
    """(audit records, outbox events), all orgs."""
    with hub.storage.unit_of_work(write=False) as uow:
        return uow.audit.count(), uow.outbox.count()


def audit_of(hub: SyncHub, subject_id: str, actor: Actor = USER) -> list[tuple[str, str, str]]:
    return [
        (r.key, r.actor_id, r.event_id) for r in hub.audit_log(actor=actor, subject_id=subject_id)
    ]


def keys(events: list[EventEnvelope], subject_id: str | None = None) -> list[str]:
    return [e.key for e in events if subject_id is None or e.payload.id == subject_id]


# -- run_pending ------------------------------------------------------------------------------


def test_a_run_completes_with_its_counts_times_event_and_audit(
    hub: SyncHub, clock: Clock, sent: list[EventEnvelope]
) -> None:
    config = make_config(hub)
    run = hub.trigger_sync(sync_config_id=config.id, actor=USER)
    triggered_at = clock.now
    clock.advance(seconds=10)
    claimed_at = clock.now

    def engine(context: RunContext) -> SyncResult:
        clock.advance(seconds=30)  # the engine takes its time
        return SyncResult(
            records_processed=7, records_created=3, records_updated=2, records_failed=2
        )

    (done,) = hub.run_pending(engine)
    assert done.id == run.id
    assert done.status is SyncStatus.COMPLETED
    assert (done.records_processed, done.records_created) == (7, 3)
    assert (done.records_updated, done.records_failed) == (2, 2)
    assert done.error_message is None
    assert (done.created_at, done.started_at) == (triggered_at, claimed_at)
    assert done.completed_at == claimed_at + timedelta(seconds=30)
    assert hub.get_sync_run(run.id, actor=USER) == done
    assert hub.get_sync_config(config.id, actor=USER).last_sync_at == done.completed_at
    assert keys(sent) == [STARTED, COMPLETED]
    assert sent[1].payload == done
    assert (sent[1].actor_id, sent[1].org_id) == (WORKER_ID, USER.org_id)
    assert audit_of(hub, run.id) == [
        ("integration.sync.triggered", USER.id, sent[0].id),
        (COMPLETED, WORKER_ID, sent[1].id),
    ]


def test_an_engine_that_raises_fails_the_run(hub: SyncHub, sent: list[EventEnvelope]) -> None:
    config = make_config(hub)
    run = hub.trigger_sync(sync_config_id=config.id, actor=USER)

    def engine(context: RunContext) -> SyncResult:
        raise RuntimeError("target API said 503")

    (done,) = hub.run_pending(engine)  # the engine's exception is the run's, not the caller's
    assert done.status is SyncStatus.FAILED
    assert done.error_message == "RuntimeError: target API said 503"
    assert done.completed_at is not None
    assert hub.get_sync_run(run.id, actor=USER) == done
    # a failed run is no sync: lastSyncAt stays as it was
    assert hub.get_sync_config(config.id, actor=USER).last_sync_at is None
    assert keys(sent) == [STARTED, FAILED]
    assert sent[1].payload == done
    assert audit_of(hub, run.id)[1] == (FAILED, WORKER_ID, sent[1].id)


def test_an_engine_returning_something_else_fails_the_run(
    hub: SyncHub, sent: list[EventEnvelope]
) -> None:
    config = make_config(hub)
    hub.trigger_sync(sync_config_id=config.id, actor=USER)
    (done,) = hub.run_pending(lambda context: {"records_processed": 3})
    assert done.status is SyncStatus.FAILED
    assert done.error_message is not None
    assert done.error_message.startswith("TypeError: ")
    assert "dict" in done.error_message and "SyncResult" in done.error_message
    assert done.records_processed == 0
    assert keys(sent) == [STARTED, FAILED]


def test_a_result_with_an_error_message_fails_the_run_keeping_its_counts(
    hub: SyncHub, sent: list[EventEnvelope]
) -> None:
    config = make_config(hub)
    run = hub.trigger_sync(sync_config_id=config.id, actor=USER)
    result = SyncResult(
        records_processed=5, records_created=1, records_failed=4, error_message="4 rejected"
    )
    (done,) = hub.run_pending(returning(result))
    assert done.status is SyncStatus.FAILED
    assert done.error_message == "4 rejected"
    assert (done.records_processed, done.records_created, done.records_failed) == (5, 1, 4)
    assert hub.get_sync_run(run.id, actor=USER) == done
    assert keys(sent) == [STARTED, FAILED]


def bad_result(name: str, value: object) -> SyncResult:
    """A SyncResult holding ``value`` in ``name``, past any check its class makes."""
    result = SyncResult()
    object.__setattr__(result, name, value)
    return result


@pytest.mark.parametrize(
    ("name", "value", "says"),
    [
        ("records_processed", None, "ValueError: "),
        ("records_processed", "3", "ValueError: "),
        ("records_created", -1, "ValueError: "),
        ("records_updated", 2**63, "ValueError: "),
        ("records_failed", True, "ValueError: "),
        ("records_failed", 1.0, "ValueError: "),
        ("error_message", 42, "TypeError: "),
    ],
)
def test_a_result_the_storage_cannot_hold_fails_the_run(
    hub: SyncHub, sent: list[EventEnvelope], name: str, value: object, says: str
) -> None:
    config = make_config(hub)
    run = hub.trigger_sync(sync_config_id=config.id, actor=USER)
    (done,) = hub.run_pending(returning(bad_result(name, value)))  # the worker goes on
    assert done.status is SyncStatus.FAILED
    assert done.error_message is not None
    assert done.error_message.startswith(says) and name in done.error_message
    assert (done.records_processed, done.records_failed) == (0, 0)
    assert hub.get_sync_run(run.id, actor=USER) == done
    assert keys(sent) == [STARTED, FAILED]
    assert hub.trigger_sync(sync_config_id=config.id, actor=USER).status is SyncStatus.PENDING


@pytest.mark.parametrize("backend", ["sqlite-file", "postgres"])  # a second hub shares it
def test_a_worker_without_the_secret_key_fails_runs_that_need_credentials(
    hub: SyncHub, url: str, clock: Clock, monkeypatch: pytest.MonkeyPatch
) -> None:
    run = hub.trigger_sync(sync_config_id=make_config(hub).id, actor=USER)
    monkeypatch.delenv("SYNC_SDK_SECRET_KEY", raising=False)
    with SyncHub(url, clock=clock) as worker:
        (done,) = worker.run_pending(must_not_run)
    assert done.status is SyncStatus.FAILED
    assert done.error_message is not None
    assert done.error_message.startswith("SecretKeyRequired: ")
    assert "secret key" in done.error_message
    assert hub.get_sync_run(run.id, actor=USER) == done


def test_the_engine_gets_the_run_the_config_with_mappings_and_decrypted_credentials(
    hub: SyncHub,
) -> None:
    config = make_config(hub)
    first = hub.add_field_mapping(
        sync_config_id=config.id, source_field="email", target_field="mail",
        mapping_type="DIRECT", actor=USER,
    )  # fmt: skip
    second = hub.add_field_mapping(
        sync_config_id=config.id, source_field="x", target_field="source",
        mapping_type="CONSTANT", constant_value="crm", actor=USER,
    )  # fmt: skip
    run = hub.trigger_sync(sync_config_id=config.id, actor=USER)
    seen: list[tuple[Any, ...]] = []

    def engine(context: RunContext) -> SyncResult:
        seen.append((context.run, context.config, context.credentials, context.is_cancelled()))
        return SyncResult(records_processed=1)

    hub.run_pending(engine)
    ((seen_run, seen_config, credentials, cancelled),) = seen
    assert seen_run.id == run.id and seen_run.status is SyncStatus.RUNNING
    assert seen_run.started_at is not None
    assert seen_config.id == config.id
    assert seen_config.field_mappings == (first, second)
    assert credentials == CREDENTIALS
    assert cancelled is False


@pytest.mark.parametrize("credentials", [None, "no connection"])
def test_credentials_are_none_without_any(hub: SyncHub, credentials: str | None) -> None:
    if credentials is None:
        config = make_config(hub, credentials=None)
    else:  # the config names a connection id that is not a stored connection
        config = make_config(hub, connection_id="conn-elsewhere")
    hub.trigger_sync(sync_config_id=config.id, actor=USER)
    seen: list[Any] = []

    def engine(context: RunContext) -> SyncResult:
        seen.append(context.credentials)
        return SyncResult()

    (done,) = hub.run_pending(engine)
    assert done.status is SyncStatus.COMPLETED
    assert seen == [None]


def test_run_pending_takes_the_oldest_first_up_to_limit(hub: SyncHub, clock: Clock) -> None:
    runs = []
    for _ in range(3):
        runs.append(hub.trigger_sync(sync_config_id=make_config(hub).id, actor=USER))
        clock.advance(seconds=1)
    called: list[str] = []

    def engine(context: RunContext) -> SyncResult:
        called.append(context.run.id)
        return SyncResult()

    assert [r.id for r in hub.run_pending(engine, limit=2)] == [runs[0].id, runs[1].id]
    assert hub.get_sync_run(runs[2].id, actor=USER).status is SyncStatus.PENDING
    assert [r.id for r in hub.run_pending(engine)] == [runs[2].id]
    assert hub.run_pending(engine) == []
    assert called == [r.id for r in runs]  # each run once


def test_runs_of_every_org_are_run(hub: SyncHub) -> None:
    mine = hub.trigger_sync(sync_config_id=make_config(hub).id, actor=USER)
    theirs = hub.trigger_sync(
        sync_config_id=make_config(hub, OTHER_ORG_USER).id, actor=OTHER_ORG_USER
    )
    finished = hub.run_pending(returning())
    assert sorted(r.id for r in finished) == sorted([mine.id, theirs.id])
    assert hub.get_sync_run(theirs.id, actor=OTHER_ORG_USER).status is SyncStatus.COMPLETED
    with pytest.raises(NotFound):
        hub.get_sync_run(theirs.id, actor=USER)


# -- transitions and cancel -------------------------------------------------------------------


def finished_run(hub: SyncHub, status: SyncStatus) -> SyncRun:
    run = hub.trigger_sync(sync_config_id=make_config(hub).id, actor=USER)
    if status is SyncStatus.CANCELLED:
        return hub.cancel_sync_run(run.id, actor=USER)

    def engine(context: RunContext) -> SyncResult:
        if status is SyncStatus.FAILED:
            raise ValueError("no")
        return SyncResult(records_processed=2)

    (done,) = hub.run_pending(engine)
    assert done.status is status
    return done


@pytest.mark.parametrize("status", [SyncStatus.COMPLETED, SyncStatus.FAILED, SyncStatus.CANCELLED])
def test_a_finished_run_never_changes(hub: SyncHub, clock: Clock, status: SyncStatus) -> None:
    done = finished_run(hub, status)
    before = stored(hub)
    clock.advance(hours=1)
    with pytest.raises(Conflict) as info:
        hub.cancel_sync_run(done.id, actor=USER)
    assert done.id in str(info.value) and status.value in str(info.value)
    assert hub.run_pending(must_not_run, lease=1) == []  # neither claimed nor "recovered"
    assert stored(hub) == before
    assert hub.get_sync_run(done.id, actor=USER) == done


def test_cancel_of_a_pending_run_cancels_it_at_once(
    hub: SyncHub, clock: Clock, sent: list[EventEnvelope]
) -> None:
    config = make_config(hub)
    run = hub.trigger_sync(sync_config_id=config.id, actor=USER)
    clock.advance(seconds=5)
    cancelled = hub.cancel_sync_run(run.id, actor=USER)
    assert cancelled.status is SyncStatus.CANCELLED
    assert cancelled.completed_at == clock.now
    assert cancelled.started_at is None
    assert hub.get_sync_run(run.id, actor=USER) == cancelled
    assert keys(sent) == [STARTED, CANCELLED]
    assert sent[1].payload == cancelled
    assert audit_of(hub, run.id)[1] == (CANCELLED, USER.id, sent[1].id)
    assert hub.run_pending(must_not_run) == []
    # the config can run again
    again = hub.trigger_sync(sync_config_id=config.id, actor=USER)
    assert again.status is SyncStatus.PENDING


def test_cancel_of_a_running_run_asks_its_engine_to_stop(
    hub: SyncHub, sent: list[EventEnvelope]
) -> None:
    config = make_config(hub)
    run = hub.trigger_sync(sync_config_id=config.id, actor=USER)
    answers: list[Any] = []

    def engine(context: RunContext) -> SyncResult:
        answers.append(context.is_cancelled())
        asked = hub.cancel_sync_run(run.id, actor=USER)  # the user, meanwhile
        answers.append(asked.status)
        answers.append(keys(sent))  # no cancelled event yet: the run has not ended
        answers.append(context.is_cancelled())
        return SyncResult(records_processed=4, records_created=4)

    (done,) = hub.run_pending(engine)
    assert answers == [False, SyncStatus.RUNNING, [STARTED], True]
    assert done.status is SyncStatus.CANCELLED
    assert done.error_message is None
    assert done.records_processed == 4  # what it did before it stopped
    assert hub.get_sync_run(run.id, actor=USER) == done
    assert hub.get_sync_config(config.id, actor=USER).last_sync_at is None
    assert keys(sent) == [STARTED, CANCELLED]  # one end event, when the run ended
    assert sent[1].payload == done and sent[1].actor_id == WORKER_ID
    # the audit record is the request's, by the user
    assert [a[:2] for a in audit_of(hub, run.id)] == [
        ("integration.sync.triggered", USER.id),
        (CANCELLED, USER.id),
    ]
    with pytest.raises(Conflict):
        hub.cancel_sync_run(run.id, actor=USER)


def test_a_cancelled_run_whose_engine_raises_ends_cancelled(
    hub: SyncHub, sent: list[EventEnvelope]
) -> None:
    run = hub.trigger_sync(sync_config_id=make_config(hub).id, actor=USER)

    def engine(context: RunContext) -> SyncResult:
        hub.cancel_sync_run(run.id, actor=USER)
        if context.is_cancelled():
            raise InterruptedError("stopped on request")
        return SyncResult()

    (done,) = hub.run_pending(engine)
    assert done.status is SyncStatus.CANCELLED
    assert done.error_message is None
    assert keys(sent) == [STARTED, CANCELLED]


def test_cancel_of_another_orgs_run_is_not_found(hub: SyncHub) -> None:
    run = hub.trigger_sync(sync_config_id=make_config(hub).id, actor=USER)
    before = stored(hub)
    for run_id in (run.id, "run_missing"):
        with pytest.raises(NotFound):
            hub.cancel_sync_run(run_id, actor=OTHER_ORG_USER)
    assert stored(hub) == before
    assert hub.get_sync_run(run.id, actor=USER) == run


def test_cancel_input_is_validated(hub: SyncHub) -> None:
    with pytest.raises(ValidationError) as info:
        hub.cancel_sync_run("", actor=USER)
    assert [i.path for i in info.value.issues] == ["syncRunId"]
    with pytest.raises(ValidationError):
        hub.cancel_sync_run(42, actor=USER)  # type: ignore[arg-type]
    assert stored(hub) == (0, 0)


# -- update_sync_config -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        ({"name": "Renamed"}, {"name": "Renamed"}),
        ({"is_active": False}, {"is_active": False}),
        (
            {"schedule_enabled": True, "schedule_cron": "0 * * * *"},
            {"schedule_enabled": True, "schedule_cron": "0 * * * *"},
        ),
        ({"schedule_cron": "15 3 * * 1"}, {"schedule_cron": "15 3 * * 1"}),
    ],
)
def test_update_changes_each_field(
    hub: SyncHub, sent: list[EventEnvelope], fields: dict[str, Any], expected: dict[str, Any]
) -> None:
    config = make_config(hub)
    mapping = hub.add_field_mapping(
        sync_config_id=config.id, source_field="a", target_field="b",
        mapping_type="DIRECT", actor=USER,
    )  # fmt: skip
    updated = hub.update_sync_config(config.id, actor=USER, **fields)
    assert updated == attrs.evolve(config, field_mappings=(mapping,), **expected)
    assert hub.get_sync_config(config.id, actor=USER) == updated
    assert keys(sent) == [UPDATED]
    assert sent[0].payload == updated
    assert audit_of(hub, config.id)[-1] == (UPDATED, USER.id, sent[0].id)


@pytest.mark.parametrize(
    ("fields", "paths"),
    [
        ({"name": ""}, ["name"]),
        ({"schedule_cron": "every minute"}, ["scheduleCron"]),
        ({"schedule_cron": "61 * * * *"}, ["scheduleCron"]),
        ({"schedule_enabled": True}, ["scheduleCron"]),
        ({"is_active": "no"}, ["isActive"]),
        ({"name": "", "schedule_cron": "bad"}, ["name", "scheduleCron"]),
        ({}, [""]),
    ],
)
def test_update_applies_the_create_rules_and_writes_nothing(
    hub: SyncHub, sent: list[EventEnvelope], fields: dict[str, Any], paths: list[str]
) -> None:
    config = make_config(hub)
    before = stored(hub)
    with pytest.raises(ValidationError) as info:
        hub.update_sync_config(config.id, actor=USER, **fields)
    assert sorted(i.path for i in info.value.issues) == paths
    assert hub.get_sync_config(config.id, actor=USER) == config
    assert stored(hub) == before
    assert sent == []


def test_update_with_an_unknown_field_is_a_type_error(hub: SyncHub) -> None:
    config = make_config(hub)
    before = stored(hub)
    with pytest.raises(TypeError, match="direction"):
        hub.update_sync_config(config.id, actor=USER, direction="OUTBOUND")
    assert stored(hub) == before


def test_update_of_another_orgs_config_is_not_found(hub: SyncHub) -> None:
    config = make_config(hub)
    before = stored(hub)
    with pytest.raises(NotFound):
        hub.update_sync_config(config.id, actor=OTHER_ORG_USER, name="Mine now")
    assert hub.get_sync_config(config.id, actor=USER) == config
    assert stored(hub) == before


def test_a_paused_config_refuses_triggers_and_skips_its_schedule(
    hub: SyncHub, clock: Clock
) -> None:
    config = make_config(hub, schedule_enabled=True, schedule_cron="*/5 * * * *")
    paused = hub.update_sync_config(config.id, actor=USER, is_active=False)
    assert paused.is_active is False
    before = stored(hub)
    with pytest.raises(Conflict, match="paused"):
        hub.trigger_sync(sync_config_id=config.id, actor=USER)
    assert stored(hub) == before
    clock.advance(minutes=30)
    assert hub.schedule_due() == []
    # resumed: from the next slot on, the slots missed while paused are not replayed
    clock.now = datetime(2026, 1, 1, 12, 31, 0, tzinfo=UTC)
    hub.update_sync_config(config.id, actor=USER, is_active=True)
    assert hub.schedule_due() == []
    assert hub.schedule_due(datetime(2026, 1, 1, 12, 34, 59, tzinfo=UTC)) == []
    (run,) = hub.schedule_due(datetime(2026, 1, 1, 12, 35, tzinfo=UTC))
    assert run.trigger == "schedule"
    assert hub.list_sync_runs(sync_config_id=config.id, actor=USER).total == 1


def test_a_schedule_turned_off_skips_then_resumes_from_the_next_slot(
    hub: SyncHub, clock: Clock
) -> None:
    config = make_config(hub, schedule_enabled=True, schedule_cron="0 * * * *")
    hub.update_sync_config(config.id, actor=USER, schedule_enabled=False)
    assert hub.schedule_due(datetime(2026, 1, 1, 15, 0, tzinfo=UTC)) == []
    clock.now = datetime(2026, 1, 1, 15, 10, tzinfo=UTC)
    hub.update_sync_config(config.id, actor=USER, schedule_enabled=True)
    assert hub.schedule_due() == []  # not the 15:00 slot, before it was turned on again
    (run,) = hub.schedule_due(datetime(2026, 1, 1, 16, 0, tzinfo=UTC))
    assert run.created_at == datetime(2026, 1, 1, 16, 0, tzinfo=UTC)


def test_a_new_cron_takes_effect_from_its_next_slot(hub: SyncHub, clock: Clock) -> None:
    config = make_config(hub, schedule_enabled=True, schedule_cron="0 0 * * *")  # daily
    clock.now = datetime(2026, 1, 1, 12, 7, tzinfo=UTC)
    hub.update_sync_config(config.id, actor=USER, schedule_cron="*/10 * * * *")
    assert hub.schedule_due(datetime(2026, 1, 1, 12, 9, tzinfo=UTC)) == []
    assert len(hub.schedule_due(datetime(2026, 1, 1, 12, 10, tzinfo=UTC))) == 1


def test_a_schedule_enabled_by_update_fires_from_the_next_slot(hub: SyncHub, clock: Clock) -> None:
    config = make_config(hub)
    clock.now = at(12, 7)
    hub.update_sync_config(
        config.id, actor=USER, schedule_enabled=True, schedule_cron="*/10 * * * *"
    )
    assert hub.schedule_due(at(12, 9)) == []
    (run,) = hub.schedule_due(at(12, 10))
    assert run.sync_config_id == config.id and run.trigger == "schedule"


def test_an_update_that_keeps_the_schedule_keeps_its_due_slot(hub: SyncHub, clock: Clock) -> None:
    config = make_config(hub, schedule_enabled=True, schedule_cron="*/5 * * * *")
    clock.now = at(12, 7)  # the 12:05 slot has passed, and no scheduler ran since
    hub.update_sync_config(config.id, actor=USER, name="Renamed")
    hub.update_sync_config(config.id, actor=USER, is_active=True, schedule_enabled=True)
    (run,) = hub.schedule_due()
    assert run.sync_config_id == config.id


# -- lease expiry -----------------------------------------------------------------------------


def dying(context: RunContext) -> SyncResult:
    raise WorkerDied


def test_a_run_whose_worker_died_is_failed_by_the_next_worker(
    hub: SyncHub, clock: Clock, sent: list[EventEnvelope]
) -> None:
    config = make_config(hub)
    run = hub.trigger_sync(sync_config_id=config.id, actor=USER)
    with pytest.raises(WorkerDied):
        hub.run_pending(dying, lease=60)
    assert hub.get_sync_run(run.id, actor=USER).status is SyncStatus.RUNNING
    with pytest.raises(Conflict):  # still the config's active run
        hub.trigger_sync(sync_config_id=config.id, actor=USER)
    clock.advance(seconds=59)
    assert hub.run_pending(must_not_run) == []  # its lease still holds
    clock.advance(seconds=1)
    (lost,) = hub.run_pending(must_not_run)
    assert lost.id == run.id
    assert lost.status is SyncStatus.FAILED
    assert lost.error_message is not None and lost.error_message.startswith(LOST_WORKER)
    assert "worker" in lost.error_message and "lease" in lost.error_message
    assert lost.completed_at == clock.now
    assert hub.get_sync_run(run.id, actor=USER) == lost
    assert keys(sent) == [STARTED, FAILED]
    assert sent[1].payload == lost
    assert audit_of(hub, run.id)[-1] == (FAILED, WORKER_ID, sent[1].id)
    assert hub.run_pending(must_not_run) == []  # once
    again = hub.trigger_sync(sync_config_id=config.id, actor=USER)
    assert [r.id for r in hub.run_pending(returning())] == [again.id]


def test_a_lost_workers_late_outcome_is_dropped(
    hub: SyncHub, clock: Clock, sent: list[EventEnvelope]
) -> None:
    run = hub.trigger_sync(sync_config_id=make_config(hub).id, actor=USER)
    taken_back: list[SyncRun] = []

    def slow(context: RunContext) -> SyncResult:
        clock.advance(seconds=61)  # hung past its lease: another worker takes the run back
        taken_back.extend(hub.run_pending(must_not_run))
        return SyncResult(records_processed=9)

    (outcome,) = hub.run_pending(slow, lease=60)
    assert [r.status for r in taken_back] == [SyncStatus.FAILED]
    assert outcome == taken_back[0] == hub.get_sync_run(run.id, actor=USER)
    assert outcome.records_processed == 0
    assert keys(sent) == [STARTED, FAILED]


def test_is_cancelled_renews_the_lease(
    hub: SyncHub, clock: Clock, monkeypatch: pytest.MonkeyPatch
) -> None:
    import sync_sdk.worker

    run = hub.trigger_sync(sync_config_id=make_config(hub).id, actor=USER)
    ticks = [1000.0]
    # the worker's own clock for renewals, not the process's time module
    monkeypatch.setattr(sync_sdk.worker, "time", SimpleNamespace(monotonic=lambda: ticks[0]))
    taken_back: list[SyncRun] = []

    def long_running(context: RunContext) -> SyncResult:
        clock.advance(seconds=50)
        ticks[0] += 50  # more than a third of the lease since it was set
        assert context.is_cancelled() is False  # renews it: until now + 60 s
        clock.advance(seconds=50)  # past the first lease, within the renewed one
        taken_back.extend(hub.run_pending(must_not_run))
        return SyncResult(records_processed=1)

    (done,) = hub.run_pending(long_running, lease=60)
    assert taken_back == []
    assert done.id == run.id and done.status is SyncStatus.COMPLETED


# -- schedule_due -----------------------------------------------------------------------------


def at(hour: int, minute: int, second: int = 0) -> datetime:
    return datetime(2026, 1, 1, hour, minute, second, tzinfo=UTC)


def test_no_scheduled_run_before_the_first_slot_after_creation(hub: SyncHub) -> None:
    config = make_config(hub, schedule_enabled=True, schedule_cron="*/5 * * * *")  # at 12:00:30
    assert hub.schedule_due(at(12, 0, 30)) == []  # 12:00 is before its creation
    assert hub.schedule_due(at(12, 4, 59)) == []
    (run,) = hub.schedule_due(at(12, 5))
    assert run.sync_config_id == config.id
    assert run.trigger == "schedule"
    assert run.status is SyncStatus.PENDING
    assert run.direction is config.direction
    assert run.created_at == at(12, 5)


def test_one_run_for_the_latest_slot_missed_slots_are_not_replayed(
    hub: SyncHub, sent: list[EventEnvelope]
) -> None:
    config = make_config(hub, schedule_enabled=True, schedule_cron="*/5 * * * *")
    made = hub.schedule_due(at(12, 23))  # the slots 12:05 to 12:20 have passed
    assert len(made) == 1
    assert hub.schedule_due(at(12, 24, 59)) == []  # 12:20 had its run
    hub.run_pending(returning())
    assert len(hub.schedule_due(at(12, 25))) == 1
    assert hub.list_sync_runs(sync_config_id=config.id, actor=USER).total == 2
    assert keys(sent).count(STARTED) == 2
    assert all(e.actor_id == SCHEDULER_ID for e in sent if e.key == STARTED)
    with hub.storage.unit_of_work(write=False) as uow:
        slots = [uow.table(SYNC_RUNS).value(USER.org_id, r.id, "scheduled_for") for r in made]
    assert slots == [at(12, 20)]
    assert [a[:2] for a in audit_of(hub, made[0].id)][:1] == [
        ("integration.sync.triggered", SCHEDULER_ID)
    ]


def test_a_config_with_an_active_run_skips_the_slot(hub: SyncHub, clock: Clock) -> None:
    config = make_config(hub, schedule_enabled=True, schedule_cron="*/5 * * * *")
    manual = hub.trigger_sync(sync_config_id=config.id, actor=USER)
    assert hub.schedule_due(at(12, 5)) == []  # the manual run is pending
    clock.now = at(12, 6)
    hub.run_pending(returning())
    assert hub.schedule_due(at(12, 9)) == []  # 12:05 is not made up for
    (scheduled,) = hub.schedule_due(at(12, 10))
    assert scheduled.id != manual.id
    with pytest.raises(Conflict, match=scheduled.id):  # one active run, scheduled or manual
        hub.trigger_sync(sync_config_id=config.id, actor=USER)
    clock.now = at(12, 11)
    with pytest.raises(WorkerDied):
        hub.run_pending(dying)
    # a RUNNING run skips the slot as well
    assert hub.get_sync_run(scheduled.id, actor=USER).status is SyncStatus.RUNNING
    assert hub.schedule_due(at(12, 15)) == []
    assert hub.list_sync_runs(sync_config_id=config.id, actor=USER).total == 2


def test_only_active_configs_with_a_schedule_get_runs(hub: SyncHub) -> None:
    due = make_config(hub, schedule_enabled=True, schedule_cron="*/5 * * * *")
    make_config(hub)  # no schedule
    paused = make_config(hub, schedule_enabled=True, schedule_cron="*/5 * * * *")
    hub.update_sync_config(paused.id, actor=USER, is_active=False)
    off = make_config(hub, schedule_enabled=True, schedule_cron="*/5 * * * *")
    hub.update_sync_config(off.id, actor=USER, schedule_enabled=False)
    other = make_config(hub, OTHER_ORG_USER, schedule_enabled=True, schedule_cron="0 * * * *")
    assert [r.sync_config_id for r in hub.schedule_due(at(12, 5))] == [due.id]
    made = hub.schedule_due(at(13, 0))
    assert sorted(r.sync_config_id for r in made) == sorted([other.id])  # due's run is active
    assert hub.list_sync_runs(sync_config_id=other.id, actor=OTHER_ORG_USER).total == 1


def test_schedule_due_reads_the_hub_clock_by_default(hub: SyncHub, clock: Clock) -> None:
    make_config(hub, schedule_enabled=True, schedule_cron="*/5 * * * *")
    clock.now = at(12, 4)
    assert hub.schedule_due() == []
    clock.now = at(12, 5)
    (run,) = hub.schedule_due()
    assert run.created_at == at(12, 5)


def test_cron_is_evaluated_in_utc(hub: SyncHub) -> None:
    config = make_config(hub, schedule_enabled=True, schedule_cron="0 13 * * *")
    paris = timezone(timedelta(hours=1))
    # 13:00 in Paris is 12:00 UTC: not the slot
    assert hub.schedule_due(datetime(2026, 1, 1, 13, 0, tzinfo=paris)) == []
    (run,) = hub.schedule_due(datetime(2026, 1, 1, 14, 0, tzinfo=paris))  # 13:00 UTC
    assert run.sync_config_id == config.id
    assert run.created_at == at(13, 0)
    assert run.created_at.tzinfo is not None and run.created_at.utcoffset() == timedelta(0)


def test_a_naive_now_is_utc(hub: SyncHub) -> None:
    make_config(hub, schedule_enabled=True, schedule_cron="0 13 * * *")
    assert hub.schedule_due(datetime(2026, 1, 1, 12, 59)) == []
    assert len(hub.schedule_due(datetime(2026, 1, 1, 13, 0))) == 1


@pytest.mark.parametrize("backend", ["sqlite-file", "postgres"])
def test_schedulers_in_many_threads_make_one_run_per_slot(
    backend: str, tmp_path: Path, clock: Clock
) -> None:
    url = storage_url(backend, tmp_path)
    with SyncHub(url, clock=clock, secret_key=SECRET_KEY) as first:
        configs = [
            make_config(first, schedule_enabled=True, schedule_cron="*/5 * * * *") for _ in range(5)
        ]
    hubs = [SyncHub(url, clock=clock, secret_key=SECRET_KEY) for _ in range(4)]
    made: list[SyncRun] = []
    errors: list[BaseException] = []
    barrier = threading.Barrier(len(hubs))

    def schedule(hub: SyncHub) -> None:
        try:
            barrier.wait()
            made.extend(hub.schedule_due(at(12, 7)))
        except BaseException as exc:  # reported below
            errors.append(exc)

    threads = [threading.Thread(target=schedule, args=(h,)) for h in hubs]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    try:
        assert errors == []
        assert sorted(r.sync_config_id for r in made) == sorted(c.id for c in configs)
        for config in configs:
            assert hubs[0].list_sync_runs(sync_config_id=config.id, actor=USER).total == 1
    finally:
        for h in hubs:
            h.close()


# -- the one active run rule ------------------------------------------------------------------


def test_one_active_run_per_config_pending_or_running(hub: SyncHub) -> None:
    config = make_config(hub)
    run = hub.trigger_sync(sync_config_id=config.id, actor=USER)
    with pytest.raises(Conflict, match=run.id):
        hub.trigger_sync(sync_config_id=config.id, actor=USER)
    refused: list[str] = []

    def engine(context: RunContext) -> SyncResult:
        try:
            hub.trigger_sync(sync_config_id=config.id, actor=USER)
        except Conflict as exc:
            refused.append(str(exc))
        return SyncResult()

    hub.run_pending(engine)
    assert len(refused) == 1 and "RUNNING" in refused[0]
    assert hub.trigger_sync(sync_config_id=config.id, actor=USER).status is SyncStatus.PENDING


def test_threads_triggering_one_config_make_one_run(hub: SyncHub) -> None:
    config = make_config(hub)
    outcomes: list[object] = []
    barrier = threading.Barrier(6)

    def trigger() -> None:
        barrier.wait()
        try:
            outcomes.append(hub.trigger_sync(sync_config_id=config.id, actor=USER))
        except Conflict as exc:
            outcomes.append(exc)

    threads = [threading.Thread(target=trigger) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    runs = [o for o in outcomes if isinstance(o, SyncRun)]
    assert len(outcomes) == 6 and len(runs) == 1
    assert hub.list_sync_runs(sync_config_id=config.id, actor=USER).total == 1


# -- argument checks --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("arguments", "paths"),
    [
        ({"limit": 0}, ["limit"]),
        ({"limit": 1001}, ["limit"]),
        ({"limit": "10"}, ["limit"]),
        ({"limit": True}, ["limit"]),
        ({"limit": 2.0}, ["limit"]),
        ({"lease": 0}, ["lease"]),
        ({"lease": -5.0}, ["lease"]),
        ({"lease": float("nan")}, ["lease"]),
        ({"lease": float("inf")}, ["lease"]),
        ({"lease": "300"}, ["lease"]),
        ({"lease": True}, ["lease"]),
        ({"limit": 0, "lease": 0}, ["lease", "limit"]),
    ],
)
def test_run_pending_arguments_are_checked(
    hub: SyncHub, arguments: dict[str, Any], paths: list[str]
) -> None:
    run = hub.trigger_sync(sync_config_id=make_config(hub).id, actor=USER)
    before = stored(hub)
    with pytest.raises(ValidationError) as info:
        hub.run_pending(must_not_run, **arguments)
    assert sorted(i.path for i in info.value.issues) == paths
    assert hub.get_sync_run(run.id, actor=USER) == run
    assert stored(hub) == before


@pytest.mark.parametrize("engine", [None, "myapp.sync:engine", SyncResult()])
def test_an_engine_that_is_not_callable_is_refused(hub: SyncHub, engine: object) -> None:
    run = hub.trigger_sync(sync_config_id=make_config(hub).id, actor=USER)
    with pytest.raises(ConfigurationTypeError, match="callable"):
        hub.run_pending(engine)  # type: ignore[arg-type]
    assert hub.get_sync_run(run.id, actor=USER) == run


@pytest.mark.parametrize("now", ["2026-01-01T12:05:00Z", 1767269100, at(12, 5).date()])
def test_schedule_due_needs_a_datetime(hub: SyncHub, now: object) -> None:
    make_config(hub, schedule_enabled=True, schedule_cron="*/5 * * * *")
    with pytest.raises(ValidationError) as info:
        hub.schedule_due(now)  # type: ignore[arg-type]
    assert [i.path for i in info.value.issues] == ["now"]
    assert hub.schedule_due(at(12, 4)) == []
    assert len(hub.schedule_due(at(12, 5))) == 1
