"""An application's own operation, end to end through the hub's one pipeline, on every backend:
its contract, attrs input and output models, a handler and a :class:`Table` of its own get
validation, policy, idempotency, audit records, outbox events, signals and redelivery with no
change to sync_sdk.

The hub runs the contracts of ``sync_sdk.contracts.registry`` (it takes no registry of its
own): the ``crm`` fixture swaps in a private :class:`ContractRegistry` holding the shipped
operations and the application's, and puts the shipped one back afterwards.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from datetime import datetime
from typing import Any

import attrs
import pytest
from attrs import frozen

import sync_sdk.contracts
import sync_sdk.hub
from sync_sdk import (
    Actor,
    AuthenticationRequired,
    Conflict,
    NotFound,
    PermissionDenied,
    SyncHub,
    ValidationError,
)
from sync_sdk.contracts import (
    IO,
    Acceptance,
    ContractRegistry,
    EmittedEvent,
    Meta,
    OperationContract,
    Policy,
    SideEffects,
)
from sync_sdk.events import EventEnvelope
from sync_sdk.models import camel_case, converter
from sync_sdk.operations import Context
from sync_sdk.signals import signal_for
from sync_sdk.storage.tables import Column, Table
from sync_sdk.validation import validator_for

from .conftest import OTHER_ORG_USER, USER
from .hubkit import rows

# -- the application's operation: models, table, handlers, contracts -------------------------


@frozen(kw_only=True)
class AddNoteInput:
    contact_id: str = attrs.field(metadata={"non_empty": True})
    body: str = attrs.field(metadata={"non_empty": True})
    pinned: bool = False

    @classmethod
    def from_dict(cls, data: object) -> AddNoteInput:
        return validator_for(cls)(data)

    def to_dict(self) -> dict[str, Any]:
        return {camel_case(k): v for k, v in attrs.asdict(self).items()}


@frozen(kw_only=True)
class Note:
    id: str
    contact_id: str
    body: str
    pinned: bool
    created_at: datetime

    # the SDK's converter gives any attrs model camelCase wire names
    def to_dict(self) -> dict[str, Any]:
        wire: dict[str, Any] = converter().unstructure(self)
        return wire

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Note:
        note: Note = converter().structure(data, cls)
        return note


@frozen(kw_only=True)
class ListNotesInput:
    contact_id: str = attrs.field(metadata={"non_empty": True})
    limit: int = attrs.field(default=10, metadata={"min": 1, "max": 50})

    @classmethod
    def from_dict(cls, data: object) -> ListNotesInput:
        return validator_for(cls)(data)


@frozen(kw_only=True)
class NoteList:
    notes: tuple[Note, ...]
    total: int

    def to_dict(self) -> dict[str, Any]:
        return {"notes": [n.to_dict() for n in self.notes], "total": self.total}


def _snake(name: str) -> str:
    return "".join("_" + c.lower() if c.isupper() else c for c in name)


NOTES = Table(
    "crm_notes",
    Note,
    extra=(Column("created_by", "text", nullable=False),),
    indexes=(("contact_id",),),
)


def add_note(ctx: Context, command: AddNoteInput) -> Note:
    note = Note(
        id=ctx.new_id("note_"),
        contact_id=command.contact_id,
        body=command.body,
        pinned=command.pinned,
        created_at=ctx.now,
    )
    ctx.table(NOTES).add(ctx.org_id, note, {"created_by": ctx.actor.id})
    return note


def add_note_v2(ctx: Context, command: AddNoteInput) -> Note:
    """Version 2 pins every note."""
    return add_note(ctx, attrs.evolve(command, pinned=True))


def list_notes(ctx: Context, command: ListNotesInput) -> NoteList:
    where = {"contact_id": command.contact_id}
    table = ctx.table(NOTES)
    return NoteList(
        notes=tuple(table.find(ctx.org_id, where, newest_first=True, limit=command.limit)),
        total=table.count(ctx.org_id, where),
    )


def contract(
    key: str, version: str, kind: Any, io: IO, auth: Any, emits: tuple[EmittedEvent, ...] = ()
) -> OperationContract:
    return OperationContract(
        meta=Meta(
            key=key,
            version=version,
            kind=kind,
            stability="experimental",
            owners=("crm-team",),
            tags=("crm",),
            description=f"{key} of the CRM app",
            goal="Keep notes on contacts.",
            context="An application's own operation on the hub's pipeline.",
        ),
        io=io,
        policy=Policy(auth=auth),
        side_effects=SideEffects(emits=emits, audit=("crm.note.added",) if emits else ()),
        acceptance=Acceptance(scenarios=(), examples=()),
    )


NOTE_ADDED = EmittedEvent("crm.note.added", "1.0.0", "a note is added", Note)
ADD_NOTE = contract(
    "crm.note.add", "1.0.0", "command", IO(AddNoteInput, Note), "user", (NOTE_ADDED,)
)
ADD_NOTE_V2 = attrs.evolve(ADD_NOTE, meta=attrs.evolve(ADD_NOTE.meta, version="2.0.0"))
LIST_NOTES = contract("crm.note.list", "1.0.0", "query", IO(ListNotesInput, NoteList), "admin")
DELETE_NOTE = contract("crm.note.delete", "1.0.0", "command", IO(ListNotesInput, Note), "user")

ADMIN = Actor(id="admin-1", org_id=USER.org_id, roles={"admin"})


@pytest.fixture
def crm() -> Iterator[ContractRegistry]:
    """A private registry: the shipped contracts and operations, and the CRM's."""
    shipped = sync_sdk.contracts.registry
    private = ContractRegistry()
    runnable = {(o.contract.key, o.contract.version) for o in shipped.operations()}
    for spec in shipped:
        if (spec.key, spec.version) not in runnable:
            private.register(spec)
    for operation in shipped.operations():
        private.register(operation.contract, operation.handler, tables=operation.tables)
    private.register(ADD_NOTE, add_note, tables=(NOTES,))
    private.register(ADD_NOTE_V2, add_note_v2, tables=(NOTES,))
    private.register(LIST_NOTES, list_notes, tables=(NOTES,))
    private.register(DELETE_NOTE)  # a contract without a handler: not runnable
    with pytest.MonkeyPatch.context() as patch:
        # the hub and the outbox decoder read the shipped registry by this name
        patch.setattr(sync_sdk.contracts, "registry", private)
        patch.setattr(sync_sdk.hub, "registry", private)
        yield private
    assert sync_sdk.hub.registry is shipped
    assert "crm.note.add" not in shipped
    assert len(shipped) == len(sync_sdk.contracts.HUB_CONTRACTS) + len(
        sync_sdk.contracts.OWN_CONTRACTS
    )


@pytest.fixture
def notes() -> Iterator[list[tuple[object, EventEnvelope]]]:
    got: list[tuple[object, EventEnvelope]] = []

    def record(sender: object, *, event: EventEnvelope) -> None:
        got.append((sender, event))

    with signal_for("crm.note.added").connected_to(record):
        yield got


NOTE = {"contactId": "contact-1", "body": "Called about renewal"}


def note_rows(hub: SyncHub, org_id: str = USER.org_id) -> int:
    hub.storage.ensure_tables([NOTES])  # the hub makes it on the first run of its operation
    with hub.storage.unit_of_work(write=False) as uow:
        return uow.table(NOTES).count(org_id)


def test_the_applications_command_runs_on_the_pipeline(
    hub: SyncHub, crm: ContractRegistry, notes: list[tuple[object, EventEnvelope]]
) -> None:
    before = rows(hub)
    note = hub.execute("crm.note.add", NOTE, actor=USER, version="1.0.0")
    assert type(note) is Note and note.id.startswith("note_")
    assert (note.contact_id, note.body, note.pinned) == ("contact-1", "Called about renewal", False)
    assert note_rows(hub) == 1
    after = rows(hub)
    assert (after["audit"], after["outbox"]) == (before["audit"] + 1, before["outbox"] + 1)
    ((sender, event),) = notes
    assert sender is hub
    assert (event.key, event.version, event.payload) == ("crm.note.added", "1.0.0", note)
    assert event.to_dict()["payload"] == note.to_dict()
    (record,) = hub.audit_log(actor=USER, subject_id=note.id)
    assert (record.key, record.event_id, record.actor_id) == ("crm.note.added", event.id, USER.id)
    # snake_case keywords work as for the hub's own operations
    again = hub.execute("crm.note.add", contact_id="contact-1", body="Second", actor=USER)
    assert again.body == "Second" and note_rows(hub) == 2


def test_the_latest_version_runs_unless_one_is_named(
    hub: SyncHub, crm: ContractRegistry, notes: list[tuple[object, EventEnvelope]]
) -> None:
    assert hub.execute("crm.note.add", NOTE, actor=USER).pinned is True  # 2.0.0
    assert hub.execute("crm.note.add", NOTE, actor=USER, version="1.0.0").pinned is False
    assert [e.version for _, e in notes] == ["1.0.0", "1.0.0"]  # the event's own version
    with pytest.raises(NotFound):
        hub.execute("crm.note.add", NOTE, actor=USER, version="3.0.0")
    with pytest.raises(NotFound, match="no handler"):
        hub.execute("crm.note.delete", {"contactId": "c"}, actor=USER)


def test_its_input_is_validated_and_nothing_written(
    hub: SyncHub, crm: ContractRegistry, notes: list[tuple[object, EventEnvelope]]
) -> None:
    before = rows(hub)
    with pytest.raises(ValidationError) as info:
        hub.execute("crm.note.add", {"contactId": " ", "pinned": "yes", "x": 1}, actor=USER)
    assert {(i.path, i.code) for i in info.value.issues} == {
        ("contactId", "blank"),
        ("body", "required"),
        ("pinned", "invalid_type"),
        ("x", "unknown_field"),
    }
    with pytest.raises(ValidationError) as bounds:
        hub.execute("crm.note.list", {"contactId": "c", "limit": 51}, actor=ADMIN)
    assert [(i.path, i.code) for i in bounds.value.issues] == [("limit", "out_of_range")]
    assert rows(hub) == before and note_rows(hub) == 0 and notes == []


def test_its_policy_is_enforced(hub: SyncHub, crm: ContractRegistry) -> None:
    with pytest.raises(AuthenticationRequired):
        hub.execute("crm.note.add", NOTE, actor=None)
    with pytest.raises(AuthenticationRequired):
        hub.execute("crm.note.list", {"contactId": "c"}, actor=Actor.anonymous())
    with pytest.raises(PermissionDenied):
        hub.execute("crm.note.list", {"contactId": "c"}, actor=USER)  # auth: admin
    assert note_rows(hub) == 0


def test_its_query_reads_the_actors_org_only(hub: SyncHub, crm: ContractRegistry) -> None:
    first = hub.execute("crm.note.add", NOTE, actor=USER, version="1.0.0")
    second = hub.execute("crm.note.add", {**NOTE, "body": "Sent the quote"}, actor=USER)
    hub.execute("crm.note.add", NOTE, actor=OTHER_ORG_USER)
    before = rows(hub)
    listed = hub.execute("crm.note.list", {"contactId": "contact-1"}, actor=ADMIN)
    assert listed == NoteList(notes=(second, first), total=2)
    assert rows(hub) == before  # a query writes nothing
    with pytest.raises(TypeError, match="query"):
        hub.execute("crm.note.list", {"contactId": "c"}, actor=ADMIN, idempotency_key="k")


def test_its_idempotency_keys_replay_and_conflict(
    hub: SyncHub, crm: ContractRegistry, notes: list[tuple[object, EventEnvelope]]
) -> None:
    first = hub.execute("crm.note.add", NOTE, actor=USER, idempotency_key="n-1")
    before = rows(hub)
    replay = hub.execute("crm.note.add", NOTE, actor=USER, idempotency_key="n-1")
    assert replay == first and type(replay) is Note  # read back by the model's own from_dict
    assert rows(hub) == before and len(notes) == 1
    with pytest.raises(Conflict):
        hub.execute("crm.note.add", {**NOTE, "body": "other"}, actor=USER, idempotency_key="n-1")
    with pytest.raises(Conflict):  # the key is taken for every operation of the org
        hub.create_integration(
            name="Slack", slug="slack", provider="slack", actor=USER, idempotency_key="n-1"
        )
    assert rows(hub) == before and len(notes) == 1


def test_its_events_are_redelivered_by_their_declared_payload(
    hub: SyncHub, crm: ContractRegistry, caplog: pytest.LogCaptureFixture
) -> None:
    def broken(sender: object, *, event: EventEnvelope) -> None:
        raise RuntimeError("crm down")

    with (
        signal_for("crm.note.added").connected_to(broken),
        caplog.at_level(logging.CRITICAL, logger="sync_sdk.events"),
    ):
        note = hub.execute("crm.note.add", NOTE, actor=USER)
    got: list[EventEnvelope] = []

    def receiver(sender: object, *, event: EventEnvelope) -> None:
        got.append(event)

    with signal_for("crm.note.added").connected_to(receiver):
        assert hub.redeliver_pending() == 1
    assert [e.payload for e in got] == [note]
    assert type(got[0].payload) is Note
