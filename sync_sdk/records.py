"""Records around a sync config: who acts, what was audited, what waits in the outbox, pages.

Each has a ``to_dict()`` of plain JSON types, keys in the wire's camelCase, times as ISO 8601
text, so that ``json.dumps(record.to_dict())`` just works.

.. versionadded:: 0.1.0
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime
from typing import Any, Generic, TypeVar

from attrs import field, frozen

from sync_sdk.validation import is_blank

__all__ = ["Actor", "AuditRecord", "OutboxEvent", "Page"]

T = TypeVar("T")


@frozen
class Actor:
    """Who calls the SDK: a user ``id`` in an organisation ``org_id``.

    >>> Actor(id="user-1", org_id="org-1").is_authenticated
    True
    >>> Actor.anonymous().is_authenticated
    False
    """

    id: str
    org_id: str
    roles: frozenset[str] = field(factory=frozenset, converter=frozenset)
    is_anonymous: bool = False

    @classmethod
    def anonymous(cls) -> Actor:
        """The anonymous actor: allowed only by ``auth: anonymous`` operations."""
        return cls(id="anonymous", org_id="", is_anonymous=True)

    @property
    def is_authenticated(self) -> bool:
        """A real identity: not anonymous, with a non-blank user id and org id (blank as in
        :func:`~sync_sdk.validation.is_blank`: whitespace and invisible characters only)."""
        return (
            not self.is_anonymous
            and type(self.id) is str
            and type(self.org_id) is str
            and not is_blank(self.id)
            and not is_blank(self.org_id)
        )

    def to_dict(self) -> dict[str, Any]:
        """``id``, ``orgId``, ``roles`` (sorted) and ``isAnonymous``.

        >>> Actor(id="user-1", org_id="org-1", roles={"admin"}).to_dict()["roles"]
        ['admin']
        """
        return {
            "id": self.id,
            "orgId": self.org_id,
            "roles": sorted(self.roles),
            "isAnonymous": self.is_anonymous,
        }


@frozen
class AuditRecord:
    """One audit entry, written in the same transaction as the change it records."""

    key: str
    actor_id: str
    org_id: str
    subject_id: str
    event_id: str
    occurred_at: datetime

    def to_dict(self) -> dict[str, Any]:
        """The record with camelCase keys and ``occurredAt`` in ISO 8601."""
        return {
            "key": self.key,
            "actorId": self.actor_id,
            "orgId": self.org_id,
            "subjectId": self.subject_id,
            "eventId": self.event_id,
            "occurredAt": self.occurred_at.isoformat(),
        }


@frozen
class OutboxEvent:
    """An event as stored in the outbox, with its payload as wire JSON text.

    ``delivered`` once every receiver took it (or none was listening); an undelivered event is
    pending, for :meth:`~sync_sdk.SyncHub.redeliver_pending`, which leases it to one process
    until ``claimed_until``. Whether, not when: the SQLite backend keeps only which events are
    pending, so that marking a batch delivered rewrites none of its wide outbox rows.
    """

    id: str
    key: str
    version: str
    occurred_at: datetime
    actor_id: str
    org_id: str
    subject_id: str
    payload_json: str
    delivered: bool = False
    claimed_until: datetime | None = None

    def to_dict(self) -> dict[str, Any]:
        """The event's envelope fields as :meth:`~sync_sdk.EventEnvelope.to_dict` writes them
        (``payload`` decoded from ``payload_json``), with ``subjectId``, ``delivered`` and
        ``claimedUntil`` (ISO 8601 or ``None``)."""
        return {
            "id": self.id,
            "key": self.key,
            "version": self.version,
            "occurredAt": self.occurred_at.isoformat(),
            "payload": json.loads(self.payload_json),
            "actorId": self.actor_id,
            "orgId": self.org_id,
            "subjectId": self.subject_id,
            "delivered": self.delivered,
            "claimedUntil": None if self.claimed_until is None else self.claimed_until.isoformat(),
        }


@frozen
class Page(Generic[T]):
    """One page of a listing: ``items``, the ``total`` count, and where the page starts.

    ``wire_key`` names the items in an operation's own wire form: a page of
    ``integration.syncRun.list`` has ``wire_key="runs"``, and its ``to_dict()`` is that
    contract's output, ``{"runs": [...], "total": n}``.
    """

    items: Sequence[T]
    total: int
    limit: int
    offset: int
    wire_key: str | None = field(default=None, kw_only=True)

    @property
    def has_more(self) -> bool:
        return self.offset + len(self.items) < self.total

    def to_dict(self) -> dict[str, Any]:
        """``items`` (each as its ``to_dict()``), ``total``, ``limit``, ``offset``, ``hasMore``
        (or the operation's own form, with a ``wire_key``).

        >>> Page(items=[], total=0, limit=20, offset=0).to_dict()
        {'items': [], 'total': 0, 'limit': 20, 'offset': 0, 'hasMore': False}
        >>> Page(items=[], total=0, limit=20, offset=0, wire_key="runs").to_dict()
        {'runs': [], 'total': 0}
        """
        if self.wire_key is not None:
            return {self.wire_key: [_to_dict(item) for item in self.items], "total": self.total}
        return {
            "items": [_to_dict(item) for item in self.items],
            "total": self.total,
            "limit": self.limit,
            "offset": self.offset,
            "hasMore": self.has_more,
        }


def _to_dict(item: object) -> Any:
    to_dict = getattr(item, "to_dict", None)
    return item if to_dict is None else to_dict()
