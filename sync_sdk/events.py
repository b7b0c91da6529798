"""Event envelopes, and delivery of committed events to blinker receivers.

Only events that a contract declares in ``sideEffects.emits`` can be built, with the declared
payload model; delivery calls each receiver on its own, so one that raises is logged and can
neither reach the caller nor stop the others. An event read back from the outbox is decoded by
the payload model its key and version declare (:func:`declared_payload`,
:func:`envelope_from_outbox`).

.. versionadded:: 0.1.0
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from attrs import frozen
from blinker import NamedSignal

from sync_sdk.contracts.spec import OperationContract
from sync_sdk.errors import EventNotDeclared
from sync_sdk.models import converter
from sync_sdk.records import OutboxEvent
from sync_sdk.signals import signal_for

__all__ = [
    "EventEnvelope",
    "build_event",
    "declared_payload",
    "declared_version",
    "deliver",
    "envelope_from_outbox",
    "listening",
    "send",
]

logger = logging.getLogger("sync_sdk.events")


@frozen
class EventEnvelope:
    """One event as receivers see it.

    ``occurred_at`` is an aware UTC datetime; ``payload`` is the declared payload model
    (a :class:`~sync_sdk.models.SyncConfig` for ``integration.syncConfig.created``, a
    :class:`~sync_sdk.models.SyncRun` for ``integration.sync.started``...).
    """

    id: str
    key: str
    version: str
    occurred_at: datetime
    payload: Any
    actor_id: str
    org_id: str

    def to_dict(self) -> dict[str, Any]:
        """The wire envelope, with the payload in camelCase."""
        return {
            "id": self.id,
            "key": self.key,
            "version": self.version,
            "occurredAt": self.occurred_at.isoformat(),
            "payload": _wire(self.payload),
            "actorId": self.actor_id,
            "orgId": self.org_id,
        }


def _wire(payload: Any) -> Any:
    to_dict = getattr(payload, "to_dict", None)
    # an application's own payload model may have no to_dict: the converter's wire form
    return converter().unstructure(payload) if to_dict is None else to_dict()


def build_event(
    contract: OperationContract,
    key: str,
    payload: object,
    *,
    event_id: str,
    occurred_at: datetime,
    actor_id: str,
    org_id: str,
) -> EventEnvelope:
    """An envelope for ``key``, checked against what ``contract`` declares.

    Raises :class:`EventNotDeclared` for an undeclared key or a payload of the wrong model.
    """
    version = declared_version(contract, key, type(payload))
    return EventEnvelope(
        id=event_id,
        key=key,
        version=version,
        occurred_at=occurred_at,
        payload=payload,
        actor_id=actor_id,
        org_id=org_id,
    )


def declared_version(contract: OperationContract, key: str, payload_type: type) -> str:
    """The version of event ``key`` that ``contract`` declares with ``payload_type`` payloads.

    Raises :class:`EventNotDeclared` for an undeclared key or a payload of the wrong model.
    """
    declared = contract.emitted(key)
    if declared is None:
        raise EventNotDeclared(f"{contract.key} v{contract.version} does not emit {key!r}")
    if payload_type is not declared.payload:
        raise EventNotDeclared(
            f"{key} payload must be {declared.payload.__name__}, not {payload_type.__name__}"
        )
    return declared.version


def declared_payload(key: str, version: str) -> type | None:
    """The payload model that a contract declares for event ``key`` at ``version``, or None.

    Looked up in :data:`~sync_sdk.contracts.HUB_CONTRACTS`, the contracts of
    :data:`~sync_sdk.contracts.registry` (those registered later included) and the events a
    worker emits when a run ends (:data:`~sync_sdk.contracts.RUN_EVENTS`)::

        >>> declared_payload("integration.syncConfig.created", "1.0.0").__name__
        'SyncConfig'
        >>> declared_payload("integration.syncConfig.created", "9.0.0") is None
        True
    """
    return _payloads().get((key, version))


def envelope_from_outbox(stored: OutboxEvent) -> EventEnvelope | None:
    """The envelope of an event read from the outbox, its payload structured into the model its
    key and version declare.

    None, logged (logger ``sync_sdk.events``), when no contract declares that key and version or
    when the payload does not fit its model: such a row is left for whoever can read it.
    """
    model = declared_payload(stored.key, stored.version)
    if model is None:
        logger.warning(
            "outbox event %s: no contract declares %s v%s", stored.id, stored.key, stored.version
        )
        return None
    # a model with its own from_dict (an application's) says how its wire form reads back
    from_dict = getattr(model, "from_dict", None)
    try:
        wire = json.loads(stored.payload_json)
        payload: Any = converter().structure(wire, model) if from_dict is None else from_dict(wire)
    except Exception:
        logger.exception("outbox event %s: payload is not a %s", stored.id, model.__name__)
        return None
    return EventEnvelope(
        id=stored.id,
        key=stored.key,
        version=stored.version,
        occurred_at=stored.occurred_at,
        payload=payload,
        actor_id=stored.actor_id,
        org_id=stored.org_id,
    )


# (key, version) -> payload model, built once per revision of the registry (which changes
# whenever a contract is registered or unregistered)
_payload_map: tuple[tuple[int, int], dict[tuple[str, str], type]] = ((0, -1), {})
_payload_lock = threading.Lock()


def _payloads() -> dict[tuple[str, str], type]:
    global _payload_map
    # the contracts package imports the models, which import nothing of this module's; bind late
    # all the same, so that importing sync_sdk.events never builds the contracts first
    from sync_sdk.contracts import HUB_CONTRACTS, RUN_EVENTS, registry

    revision, payloads = _payload_map
    if revision != (id(registry), registry.revision):
        with _payload_lock:
            # read before the contracts: one registered meanwhile rebuilds the map next time
            revision = (id(registry), registry.revision)
            payloads = _declared(tuple(HUB_CONTRACTS) + tuple(registry))
            for event in RUN_EVENTS:  # what workers emit when a run ends
                payloads.setdefault((event.key, event.version), event.payload)
            _payload_map = (revision, payloads)
    return payloads


def _declared(contracts: Iterable[OperationContract]) -> dict[tuple[str, str], type]:
    payloads: dict[tuple[str, str], type] = {}
    for contract in contracts:
        for event in contract.side_effects.emits:
            # the first contract to declare an event decides its payload: the hub's own first
            payloads.setdefault((event.key, event.version), event.payload)
    return payloads


def deliver(contract: OperationContract, sender: object, event: EventEnvelope) -> bool:
    """Send ``event`` to each receiver of its signal; True when none raised.

    A muted signal (``signal.muted()``) counts as delivered: muting is a deliberate choice.
    """
    declared = contract.emitted(event.key)
    if declared is None or declared.version != event.version:
        raise EventNotDeclared(
            f"{contract.key} v{contract.version} does not emit {event.key} v{event.version}"
        )
    return send(signal_for(event.key), sender, event)


def listening(signal: NamedSignal) -> bool:
    """Whether sending on ``signal`` would reach anyone: a receiver is connected and the
    signal is not muted."""
    return bool(signal.receivers) and not signal.is_muted


def send(signal: NamedSignal, sender: object, event: EventEnvelope) -> bool:
    """Call each receiver of ``signal`` on its own; True when none raised.

    The event must already be checked against its contract (:func:`build_event` does that).
    """
    if not listening(signal):
        return True
    delivered = True
    for receiver in signal.receivers_for(sender):
        try:
            receiver(sender, event=event)
        except Exception:
            delivered = False
            logger.exception("receiver %r of %s %s failed", receiver, event.key, event.id)
    return delivered
