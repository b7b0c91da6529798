"""Cron slots of scheduled configs, in UTC, with cronsim (the library the validator uses).

A config with ``scheduleEnabled``, a ``scheduleCron`` and ``isActive`` has a row in
:data:`~sync_sdk.operations.tables.SCHEDULES` whose ``due_at`` is its next slot: the first one
after the config was created (or its schedule last changed, or it was resumed), then the first
one after its last scheduled slot. :meth:`SyncHub.schedule_due <sync_sdk.SyncHub.schedule_due>`
reads only the rows that are due::

    >>> from datetime import UTC, datetime
    >>> next_slot("0 * * * *", datetime(2026, 1, 1, 12, 0, tzinfo=UTC))
    datetime.datetime(2026, 1, 1, 13, 0, tzinfo=datetime.timezone.utc)
    >>> latest_slot("0 * * * *", datetime(2026, 1, 1, 12, 0, tzinfo=UTC))
    datetime.datetime(2026, 1, 1, 12, 0, tzinfo=datetime.timezone.utc)

.. versionadded:: 0.3.0
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from cronsim import CronSim, CronSimError

from sync_sdk.models import SyncConfig
from sync_sdk.operations.tables import SCHEDULES, Schedule
from sync_sdk.storage.base import UnitOfWork

__all__ = ["latest_slot", "next_slot", "sync_schedule"]

_SEPARATORS = re.compile(r"[ \t]+")  # the validator splits cron fields on spaces and tabs only


def _expression(cron: str) -> str:
    return " ".join(_SEPARATORS.split(cron.strip(" \t")))


def next_slot(cron: str, after: datetime) -> datetime | None:
    """The first slot of ``cron`` strictly after ``after`` (None: the expression has none,
    such as ``0 0 30 2 *``)."""
    try:
        return next(iter(CronSim(_expression(cron), after.astimezone(UTC))))
    except (CronSimError, StopIteration, ValueError):
        return None


def latest_slot(cron: str, at: datetime) -> datetime | None:
    """The last slot of ``cron`` at or before ``at`` (None: none)."""
    at = at.astimezone(UTC)
    # cronsim's reverse iteration starts strictly before a whole-second time
    probe = at if at.microsecond else at + timedelta(microseconds=1)
    try:
        return next(iter(CronSim(_expression(cron), probe, reverse=True)))
    except (CronSimError, StopIteration, ValueError):
        return None


def wants_schedule(config: SyncConfig) -> bool:
    return bool(config.schedule_enabled and config.is_active and config.schedule_cron)


def new_schedule(config: SyncConfig, now: datetime) -> Schedule | None:
    """The schedule row of a new config, or None when it has no schedule."""
    if not wants_schedule(config):
        return None
    cron = config.schedule_cron or ""
    return Schedule(id=config.id, cron=cron, due_at=next_slot(cron, now))


def sync_schedule(uow: UnitOfWork, org_id: str, config: SyncConfig, now: datetime) -> None:
    """Bring ``config``'s schedule row in line with it after a change: off while its schedule is
    off or it is paused; from the next slot after ``now`` when turned on, resumed or given
    another cron (slots missed meanwhile are not replayed); as it was otherwise."""
    table = uow.table(SCHEDULES)
    row: Schedule | None = table.get(org_id, config.id)
    if not wants_schedule(config):
        if row is not None and row.due_at is not None:
            table.update(org_id, config.id, {"due_at": None})
        return
    cron = config.schedule_cron or ""
    if row is None:
        table.add(org_id, Schedule(id=config.id, cron=cron, due_at=next_slot(cron, now)))
    elif row.cron != cron or row.due_at is None:
        table.update(org_id, config.id, {"cron": cron, "due_at": next_slot(cron, now)})
