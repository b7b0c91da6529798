"""Event envelopes, and delivery of committed events to blinker receivers.

Only events that a contract declares in ``sideEffects.emits`` can be built, with the declared
payload model; delivery calls each receiver on its own, so one that raises is logged and can
neither reach the caller nor stop the others.

.. versionadded:: 0.1.0
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from attrs import frozen
from blinker import NamedSignal

from sync_sdk.contracts.spec import OperationContract
from sync_sdk.errors import EventNotDeclared
from sync_sdk.models import SyncConfig
from sync_sdk.signals import signal_for

__all__ = ["EventEnvelope", "build_event", "declared_version", "deliver", "listening", "send"]

logger = logging.getLogger("sync_sdk.events")


@frozen
class EventEnvelope:
    """One event as receivers see it.

    ``occurred_at`` is an aware UTC datetime; ``payload`` is the declared payload model
    (a :class:`~sync_sdk.models.SyncConfig` for ``integration.syncConfig.created``).
    """

    id: str
    key: str
    version: str
    occurred_at: datetime
    payload: SyncConfig
    actor_id: str
    org_id: str

    def to_dict(self) -> dict[str, Any]:
        """The wire envelope, with the payload in camelCase."""
        return {
            "id": self.id,
            "key": self.key,
            "version": self.version,
            "occurredAt": self.occurred_at.isoformat(),
            "payload": self.payload.to_dict(),
            "actorId": self.actor_id,
            "orgId": self.org_id,
        }


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
        payload=payload,  # type: ignore[arg-type]
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
