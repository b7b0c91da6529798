"""The feature's event definitions, ported verbatim from ContractSpec's ``events.ts``, and where
their payloads differ from what the operations emit.

ContractSpec defines each event of the integration-hub feature twice: once in ``events.ts``
(``defineEvent``, with its own payload model) and once in the ``sideEffects.emits`` of the
operation that emits it (there the payload is the operation's output model). For the same key and
version the two payloads differ. sync_sdk emits what the operation declares;
:func:`event_payload_mismatches` lists every field where ``events.ts`` says otherwise::

    >>> from sync_sdk.contracts import HUB_CONTRACTS
    >>> found = event_payload_mismatches(HUB_CONTRACTS)
    >>> len(found)
    5
    >>> print(found[-1])  # doctest: +NORMALIZE_WHITESPACE
    integration.sync.trigger: integration.sync.started v1.0.0: only events.ts's SyncStartedPayload
    has syncRunId; only the operation's SyncRun has id, status, direction, trigger,
    recordsProcessed, recordsCreated, recordsUpdated, recordsFailed, errorMessage, completedAt,
    createdAt; startedAt is DateTime there, DateTime? in SyncRun

Four events of ``events.ts`` have no operation that emits them (:func:`unemitted_events`).

.. versionadded:: 0.2.0
"""

from __future__ import annotations

import enum
import types
import typing
from collections.abc import Iterable
from datetime import datetime
from typing import Any, get_args, get_origin

import attrs
from attrs import field, frozen

from sync_sdk.contracts.spec import OperationContract, Stability
from sync_sdk.models import camel_case

__all__ = [
    "FEATURE_EVENTS",
    "EventDefinition",
    "PayloadField",
    "PayloadMismatch",
    "event_payload_mismatches",
    "model_payload_fields",
    "unemitted_events",
]


def _tuple(value: Any) -> tuple[Any, ...]:
    return tuple(value)


@frozen
class PayloadField:
    """A field of a payload model, in ContractSpec's terms: its wire ``name``, its ``type`` (a
    ``ScalarTypeEnum`` name such as ``String_unsecure``, ``DateTime``, ``Int_unsecure``,
    ``Boolean``, ``JSON``, or an enum's or a model's name, ``[]`` after it for a list) and
    whether it is ``optional``."""

    name: str
    type: str
    optional: bool

    def __str__(self) -> str:
        return self.type + ("?" if self.optional else "")


@frozen
class EventDefinition:
    """One ``defineEvent`` of ``events.ts``: its meta and its payload model's name and fields."""

    key: str
    version: str
    description: str
    stability: Stability
    owners: tuple[str, ...] = field(converter=_tuple)
    tags: tuple[str, ...] = field(converter=_tuple)
    payload_name: str
    payload_description: str
    payload: tuple[PayloadField, ...] = field(converter=_tuple)


def _event(
    key: str,
    description: str,
    tags: list[str],
    payload_name: str,
    payload_description: str,
    *fields: tuple[str, str],
) -> EventDefinition:
    # Every event of events.ts is v1.0.0, experimental, owned by @integration-team, and every
    # payload field is required
    return EventDefinition(
        key=key,
        version="1.0.0",
        description=description,
        stability="experimental",
        owners=["@integration-team"],
        tags=tags,
        payload_name=payload_name,
        payload_description=payload_description,
        payload=[PayloadField(name, kind, False) for name, kind in fields],
    )


_STRING, _DATETIME, _INT = "String_unsecure", "DateTime", "Int_unsecure"

#: The nine events of ``events.ts``, in its order.
FEATURE_EVENTS: tuple[EventDefinition, ...] = (
    _event(
        "integration.created",
        "Fired when a new integration is created",
        ["integration"],
        "IntegrationCreatedPayload",
        "Payload when an integration is created",
        ("integrationId", _STRING),
        ("type", _STRING),
        ("createdAt", _DATETIME),
    ),
    _event(
        "integration.connection.created",
        "Fired when a new connection is established",
        ["integration", "connection"],
        "ConnectionCreatedPayload",
        "Payload when a connection is established",
        ("connectionId", _STRING),
        ("integrationId", _STRING),
        ("status", _STRING),
        ("createdAt", _DATETIME),
    ),
    _event(
        "integration.connection.statusChanged",
        "Fired when a connection status changes",
        ["integration", "connection"],
        "ConnectionStatusChangedPayload",
        "Payload when a connection status changes",
        ("connectionId", _STRING),
        ("previousStatus", _STRING),
        ("newStatus", _STRING),
        ("changedAt", _DATETIME),
    ),
    _event(
        "integration.syncConfig.created",
        "Fired when a sync configuration is created",
        ["integration", "sync"],
        "SyncConfigCreatedPayload",
        "Payload when a sync configuration is created",
        ("syncConfigId", _STRING),
        ("connectionId", _STRING),
        ("createdAt", _DATETIME),
    ),
    _event(
        "integration.sync.started",
        "Fired when a sync run starts",
        ["integration", "sync"],
        "SyncStartedPayload",
        "Payload when a sync run starts",
        ("syncRunId", _STRING),
        ("syncConfigId", _STRING),
        ("startedAt", _DATETIME),
    ),
    _event(
        "integration.sync.completed",
        "Fired when a sync run completes successfully",
        ["integration", "sync"],
        "SyncCompletedPayload",
        "Payload when a sync run completes successfully",
        ("syncRunId", _STRING),
        ("syncConfigId", _STRING),
        ("recordsProcessed", _INT),
        ("completedAt", _DATETIME),
    ),
    _event(
        "integration.sync.failed",
        "Fired when a sync run fails",
        ["integration", "sync"],
        "SyncFailedPayload",
        "Payload when a sync run fails",
        ("syncRunId", _STRING),
        ("syncConfigId", _STRING),
        ("error", _STRING),
        ("failedAt", _DATETIME),
    ),
    _event(
        "integration.record.synced",
        "Fired when a single record is synced",
        ["integration", "sync"],
        "RecordSyncedPayload",
        "Payload when a single record is synced",
        ("syncRunId", _STRING),
        ("recordId", _STRING),
        ("sourceId", _STRING),
        ("targetId", _STRING),
    ),
    _event(
        "integration.fieldMapping.added",
        "Fired when a field mapping is added to a sync config",
        ["integration", "sync"],
        "FieldMappingAddedPayload",
        "Payload when a field mapping is added to a sync config",
        ("syncConfigId", _STRING),
        ("sourceField", _STRING),
        ("targetField", _STRING),
    ),
)


def _type_name(annotation: Any) -> tuple[str, bool]:
    """(ContractSpec type name, whether None is allowed) of a model attribute's annotation."""
    origin, args = get_origin(annotation), get_args(annotation)
    if origin in (types.UnionType, typing.Union):
        (inner,) = (a for a in args if a is not type(None))
        return _type_name(inner)[0], type(None) in args
    if origin in (tuple, list):
        return _type_name(args[0])[0] + "[]", False
    if annotation is Any:
        return "JSON", True
    names = {str: _STRING, bool: "Boolean", int: _INT, float: "Float_unsecure", datetime: _DATETIME}
    if annotation in names:
        return names[annotation], False
    named = isinstance(annotation, type) and issubclass(annotation, enum.Enum)
    if named or attrs.has(annotation):
        return annotation.__name__, False
    raise TypeError(f"no ContractSpec type for {annotation!r}")


def model_payload_fields(model: type) -> tuple[PayloadField, ...]:
    """A model's fields in ContractSpec's terms (see :class:`PayloadField`).

    A field is optional when it may be null, as the contract's ``isOptional`` fields are, or
    when it is a list with a default (``SyncConfig.fieldMappings``, optional in the schema,
    defaults to empty).

    >>> from sync_sdk.models import ListSyncRunsOutput
    >>> [str(f) for f in model_payload_fields(ListSyncRunsOutput)]
    ['SyncRun[]', 'Int_unsecure']
    """
    hints = typing.get_type_hints(model)
    fields = []
    for attribute in attrs.fields(model):
        name, optional = _type_name(hints[attribute.name])
        if name.endswith("[]"):
            optional = attribute.default is not attrs.NOTHING
        fields.append(PayloadField(camel_case(attribute.name), name, optional))
    return tuple(fields)


@frozen
class PayloadMismatch:
    """Where ``events.ts`` and an operation's ``emits`` disagree on one event's payload.

    ``only_declared``: fields that only the payload of ``events.ts`` has; ``only_emitted``: fields
    that only the operation's payload model has; ``different``: fields both have, as
    (``events.ts``'s, the operation's), of another type or optionality.
    """

    operation: str
    event: str
    version: str
    declared_by: str  # the payload model of events.ts
    emitted_by: str  # the operation's payload model
    only_declared: tuple[PayloadField, ...] = field(converter=_tuple)
    only_emitted: tuple[PayloadField, ...] = field(converter=_tuple)
    different: tuple[tuple[PayloadField, PayloadField], ...] = field(converter=_tuple)

    def __str__(self) -> str:
        parts = []
        if self.only_declared:
            names = ", ".join(f.name for f in self.only_declared)
            parts.append(f"only events.ts's {self.declared_by} has {names}")
        if self.only_emitted:
            names = ", ".join(f.name for f in self.only_emitted)
            parts.append(f"only the operation's {self.emitted_by} has {names}")
        for theirs, ours in self.different:
            parts.append(f"{theirs.name} is {theirs} there, {ours} in {self.emitted_by}")
        return f"{self.operation}: {self.event} v{self.version}: {'; '.join(parts)}"


def event_payload_mismatches(
    contracts: Iterable[OperationContract],
    events: Iterable[EventDefinition] = FEATURE_EVENTS,
) -> list[PayloadMismatch]:
    """For each event a contract emits and ``events`` defines too (same key and version), how the
    two payloads differ, in contract order; ``[]`` when every such pair agrees field for field
    (name, type and optionality).

    >>> from sync_sdk.contracts import TRIGGER_SYNC
    >>> (mismatch,) = event_payload_mismatches([TRIGGER_SYNC])
    >>> [f.name for f in mismatch.only_declared], [str(f) for f in mismatch.different[0]]
    (['syncRunId'], ['DateTime', 'DateTime?'])
    """
    by_key = {(e.key, e.version): e for e in events}
    found: list[PayloadMismatch] = []
    for contract in contracts:
        for emit in contract.side_effects.emits:
            event = by_key.get((emit.key, emit.version))
            if event is None:
                continue
            emitted = {f.name: f for f in model_payload_fields(emit.payload)}
            declared = {f.name: f for f in event.payload}
            different = [
                (theirs, emitted[name])
                for name, theirs in declared.items()
                if name in emitted and emitted[name] != theirs
            ]
            only_declared = [f for name, f in declared.items() if name not in emitted]
            only_emitted = [f for name, f in emitted.items() if name not in declared]
            if only_declared or only_emitted or different:
                found.append(
                    PayloadMismatch(
                        operation=contract.key,
                        event=emit.key,
                        version=emit.version,
                        declared_by=event.payload_name,
                        emitted_by=emit.payload.__name__,
                        only_declared=only_declared,
                        only_emitted=only_emitted,
                        different=different,
                    )
                )
    return found


def unemitted_events(
    contracts: Iterable[OperationContract],
    events: Iterable[EventDefinition] = FEATURE_EVENTS,
) -> list[EventDefinition]:
    """The ``events`` that no contract declares in ``emits`` (same key and version).

    >>> from sync_sdk.contracts import HUB_CONTRACTS
    >>> [e.key for e in unemitted_events(HUB_CONTRACTS)]  # doctest: +NORMALIZE_WHITESPACE
    ['integration.connection.statusChanged', 'integration.sync.completed',
     'integration.sync.failed', 'integration.record.synced']
    """
    emitted = {(e.key, e.version) for c in contracts for e in c.side_effects.emits}
    return [e for e in events if (e.key, e.version) not in emitted]
