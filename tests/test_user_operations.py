"""An application's own operation: registered with a handler and its table, run by the hub's one
pipeline on every backend, with no change to sync_sdk (docs/extending.md shows the same)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Any

import attrs
import pytest

from sync_sdk import Actor, SyncHub, ValidationError
from sync_sdk.contracts import (
    IO,
    Acceptance,
    EmittedEvent,
    Example,
    Meta,
    OperationContract,
    Policy,
    Scenario,
    SideEffects,
    lint,
    registry,
)
from sync_sdk.errors import AuthenticationRequired, Conflict, NotFound
from sync_sdk.events import EventEnvelope, declared_payload
from sync_sdk.operations import Context
from sync_sdk.signals import signal_for
from sync_sdk.storage.tables import Column, Table

from .conftest import OTHER_ORG_USER, USER


@attrs.frozen(kw_only=True)
class AddNoteInput:  # no from_dict, no to_dict: a plain attrs model of the application's
    integration_id: str = attrs.field(metadata={"non_empty": True})
    text: str = attrs.field(metadata={"non_empty": True})
    pinned: bool = False


@attrs.frozen(kw_only=True)
class Note:
    id: str
    integration_id: str
    text: str
    pinned: bool
    created_at: datetime


NOTES = Table("notes", Note, extra=(Column("created_by", "text", nullable=False),))


def add_note(ctx: Context, command: AddNoteInput) -> Note:
    note = Note(
        id=ctx.new_id("note_"),
        integration_id=command.integration_id,
        text=command.text,
        pinned=command.pinned,
        created_at=ctx.now,
    )
    ctx.table(NOTES).add(ctx.org_id, note, {"created_by": ctx.actor.id})
    return note


ADD_NOTE = OperationContract(
    meta=Meta(
        key="integration.note.add",
        version="1.0.0",
        kind="command",
        stability="experimental",
        owners=["@example.notes"],
        tags=["integration", "note"],
        description="Add a note to an integration.",
        goal="Keep what people learn about an integration beside it.",
        context="Integration notes.",
    ),
    io=IO(input=AddNoteInput, output=Note),
    policy=Policy(auth="user"),
    side_effects=SideEffects(
        emits=[EmittedEvent("integration.note.added", "1.0.0", "Note added", Note)],
        audit=["integration.note.added"],
    ),
    acceptance=Acceptance(
        scenarios=[
            Scenario(
                "add-note-happy-path",
                ["User is authenticated"],
                ["User adds note"],
                ["Note is added"],
            )
        ],
        examples=[
            Example(
                "add-first-note",
                {"integrationId": "int-1", "text": "Rate limit: 100/min"},
                {"integrationId": "int-1", "text": "Rate limit: 100/min", "pinned": False},
            )
        ],
    ),
)

NOTE = {"integrationId": "int-1", "text": "Rate limit: 100/min"}


@pytest.fixture
def notes() -> Iterator[None]:
    registry.register(ADD_NOTE, add_note, tables=(NOTES,))
    try:
        yield
    finally:
        registry.unregister(ADD_NOTE.key, ADD_NOTE.version)


@pytest.fixture
def received() -> Iterator[list[EventEnvelope]]:
    events: list[EventEnvelope] = []

    def record(sender: object, *, event: EventEnvelope) -> None:
        events.append(event)

    with signal_for("integration.note.added").connected_to(record):
        yield events


def notes_in(hub: SyncHub, actor: Actor) -> Any:
    hub.storage.ensure_tables([NOTES])  # the hub makes it on the operation's first run
    with hub.storage.unit_of_work(write=False) as uow:
        return uow.table(NOTES).find(actor.org_id)


@pytest.mark.usefixtures("notes")
def test_a_user_operation_runs_on_the_pipeline(url: str, received: list[EventEnvelope]) -> None:
    with SyncHub(url) as hub:
        note = hub.execute("integration.note.add", NOTE, actor=USER)
        assert isinstance(note, Note) and note.id.startswith("note_")
        assert (note.integration_id, note.text, note.pinned) == ("int-1", NOTE["text"], False)
        assert notes_in(hub, USER) == [note]
        (record,) = hub.audit_log(actor=USER, subject_id=note.id)
        assert record.key == "integration.note.added"
        (event,) = received
        assert event.payload == note and event.key == "integration.note.added"
        assert record.event_id == event.id
        # the wire forms are camelCase, as the SDK's own models'
        assert event.to_dict()["payload"] == {
            "id": note.id,
            "integrationId": "int-1",
            "text": NOTE["text"],
            "pinned": False,
            "createdAt": note.created_at.isoformat(),
        }
        # snake_case keywords work too
        pinned = hub.execute(
            "integration.note.add", integration_id="int-1", text="b", pinned=True, actor=USER
        )
        assert pinned.pinned is True


@pytest.mark.usefixtures("notes")
def test_a_user_operation_is_validated_authorized_and_idempotent(
    url: str, received: list[EventEnvelope]
) -> None:
    with SyncHub(url) as hub:
        with pytest.raises(ValidationError) as caught:
            hub.execute("integration.note.add", {"text": " ", "pinned": "yes", "x": 1}, actor=USER)
        assert sorted((i.path, i.code) for i in caught.value.issues) == [
            ("integrationId", "required"),
            ("pinned", "invalid_type"),
            ("text", "blank"),
            ("x", "unknown_field"),
        ]
        with pytest.raises(AuthenticationRequired):
            hub.execute("integration.note.add", NOTE, actor=None)
        assert notes_in(hub, USER) == [] and hub.audit_log(actor=USER) == [] and received == []
        first = hub.execute("integration.note.add", NOTE, actor=USER, idempotency_key="k")
        again = hub.execute("integration.note.add", NOTE, actor=USER, idempotency_key="k")
        assert again == first and len(received) == 1 and notes_in(hub, USER) == [first]
        with pytest.raises(Conflict):
            hub.execute(
                "integration.note.add", {**NOTE, "text": "other"}, actor=USER, idempotency_key="k"
            )
        assert notes_in(hub, OTHER_ORG_USER) == []


@pytest.mark.usefixtures("notes")
def test_a_user_event_left_pending_is_redelivered_by_its_declared_payload(url: str) -> None:
    calls: list[EventEnvelope] = []

    def flaky(sender: object, *, event: EventEnvelope) -> None:
        calls.append(event)
        if len(calls) == 1:
            raise RuntimeError("receiver down")

    with SyncHub(url) as hub, signal_for("integration.note.added").connected_to(flaky):
        note = hub.execute("integration.note.add", NOTE, actor=USER)
        assert hub.redeliver_pending() == 1  # decoded as a Note, not refused
        assert hub.redeliver_pending() == 0
    first, second = calls
    assert second.id == first.id and second.payload == note
    assert declared_payload("integration.note.added", "1.0.0") is Note


def test_unregistering_removes_the_operation_and_its_event_declaration() -> None:
    registry.register(ADD_NOTE, add_note, tables=(NOTES,))
    assert declared_payload("integration.note.added", "1.0.0") is Note
    assert registry.unregister(ADD_NOTE.key, ADD_NOTE.version) is ADD_NOTE
    assert ADD_NOTE.key not in registry
    assert declared_payload("integration.note.added", "1.0.0") is None
    with SyncHub() as hub, pytest.raises(NotFound):
        hub.execute("integration.note.add", NOTE, actor=USER)
    with pytest.raises(KeyError):
        registry.unregister(ADD_NOTE.key, ADD_NOTE.version)


def test_a_user_contract_lints_clean() -> None:
    assert lint(ADD_NOTE) == []
