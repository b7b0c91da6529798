"""What a handler gets: :class:`Context`.

.. versionadded:: 0.2.0
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from sync_sdk.credentials import CredentialCipher, SecretKeyRequired
from sync_sdk.ids import new_id
from sync_sdk.records import Actor
from sync_sdk.storage.base import UnitOfWork
from sync_sdk.storage.tables import Table, TableRepository

__all__ = ["Context"]


class Context:
    """One run of an operation, as its handler sees it.

    ``uow`` is the pipeline's unit of work (committed by the pipeline, never by the handler),
    ``actor`` the authorized caller, ``now`` the hub's time for this call. A handler returns
    its output; the pipeline then writes the contract's audit records and outbox events about
    it (its ``id`` is their subject, unless the handler sets :attr:`subject_id`), and an event
    whose declared payload is not the output takes the one the handler put in
    :attr:`payloads` under the event's key; :meth:`skip_event` leaves one out. ``ids`` draws
    new ids by prefix (the hub's ``entity_id_factory``, by default :func:`sync_sdk.ids.new_id`).
    """

    __slots__ = ("_cipher", "_ids", "actor", "now", "payloads", "skipped", "subject_id", "uow")

    def __init__(
        self,
        uow: UnitOfWork,
        actor: Actor,
        now: datetime,
        cipher: CredentialCipher | None = None,
        ids: Callable[[str], str] = new_id,
    ) -> None:
        self.uow = uow
        self.actor = actor
        self.now = now
        self._cipher = cipher
        self._ids = ids
        self.payloads: dict[str, Any] = {}
        self.subject_id: str | None = None
        self.skipped: set[str] = set()

    def skip_event(self, key: str) -> None:
        """Emit no ``key`` event this time: its ``when`` does not hold (a running run asked
        to cancel is cancelled later, by its worker). Audit records are written all the same."""
        self.skipped.add(key)

    @property
    def org_id(self) -> str:
        return self.actor.org_id

    def table(self, table: Table[Any]) -> TableRepository[Any]:
        """The rows of ``table`` in this unit of work."""
        return self.uow.table(table)

    def new_id(self, prefix: str) -> str:
        """A new id for an entity whose ids start with ``prefix`` (``run_``): by default
        ``prefix`` and 32 time-ordered hex digits."""
        return self._ids(prefix)

    @property
    def cipher(self) -> CredentialCipher:
        """The hub's credential cipher; :class:`SecretKeyRequired` when it has no key."""
        if self._cipher is None:
            raise SecretKeyRequired()
        return self._cipher
