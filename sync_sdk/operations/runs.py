"""Handlers of sync_sdk's own ``integration.syncRun.cancel`` and ``integration.syncConfig.update``.

A run moves only along these transitions; every other one raises
:class:`~sync_sdk.errors.Conflict` and writes nothing::

    PENDING -> RUNNING -> COMPLETED | FAILED | CANCELLED
    PENDING -> CANCELLED

Each transition is a compare-and-set on the run's status (``UPDATE ... WHERE status = ...``), so
that a cancel and a worker's claim racing on one run cannot both win.

.. versionadded:: 0.3.0
"""

from __future__ import annotations

import attrs

from sync_sdk.errors import Conflict, NotFound, ValidationError, ValidationIssue
from sync_sdk.models import (
    CancelSyncRunInput,
    SyncConfig,
    SyncRun,
    SyncStatus,
    UpdateSyncConfigInput,
)
from sync_sdk.operations.context import Context
from sync_sdk.operations.schedules import sync_schedule
from sync_sdk.operations.sync import config_of, with_mappings
from sync_sdk.operations.tables import SYNC_RUNS

__all__ = ["TERMINAL_STATES", "cancel_sync_run", "update_sync_config"]

#: A run in one of these states never changes again.
TERMINAL_STATES = (SyncStatus.COMPLETED, SyncStatus.FAILED, SyncStatus.CANCELLED)

_CANCELLED_EVENT = "integration.sync.cancelled"
_UPDATABLE = ("name", "schedule_enabled", "schedule_cron", "is_active")


def cancel_sync_run(ctx: Context, command: CancelSyncRunInput) -> SyncRun:
    """Cancel a run of the actor's org (:class:`NotFound` otherwise).

    A PENDING run is CANCELLED at once (with its event). A RUNNING run is marked: its engine
    sees ``is_cancelled()`` and the run ends CANCELLED when the engine returns, with the event
    then; the run is returned as it is now, RUNNING. A finished run is a :class:`Conflict`.
    """
    runs = ctx.table(SYNC_RUNS)
    org_id, run_id = ctx.org_id, command.sync_run_id
    run: SyncRun | None = runs.get(org_id, run_id)
    if run is None:
        raise NotFound(f"sync run {run_id!r} not found")
    cancelled = {"status": SyncStatus.CANCELLED, "completed_at": ctx.now}
    if runs.update(org_id, run_id, cancelled, expect={"status": SyncStatus.PENDING}):
        return attrs.evolve(run, status=SyncStatus.CANCELLED, completed_at=ctx.now)
    if runs.update(
        org_id, run_id, {"cancel_requested": True}, expect={"status": SyncStatus.RUNNING}
    ):
        ctx.skip_event(_CANCELLED_EVENT)  # sent when the run ends CANCELLED
        return attrs.evolve(run, status=SyncStatus.RUNNING)
    current: SyncRun | None = runs.get(org_id, run_id)
    status = current.status if current is not None else run.status
    raise Conflict(f"sync run {run_id!r} is {status}: a finished run cannot be cancelled")


def update_sync_config(ctx: Context, command: UpdateSyncConfigInput) -> SyncConfig:
    """Change a config of the actor's org (:class:`NotFound` otherwise): the fields given, with
    the create input's rules. ``isActive: false`` pauses it (no trigger, no scheduled run);
    ``true`` resumes it, its schedule from the next slot on."""
    changes = {
        name: getattr(command, name) for name in _UPDATABLE if getattr(command, name) is not None
    }
    if not changes:
        raise ValidationError(
            [
                ValidationIssue(
                    "",
                    "required",
                    "give at least one of name, scheduleEnabled, scheduleCron, isActive",
                )
            ]
        )
    config = config_of(ctx, command.sync_config_id)
    updated = attrs.evolve(config, **changes)
    if updated.schedule_enabled and updated.schedule_cron is None:
        raise ValidationError(
            [
                ValidationIssue(
                    "scheduleCron", "required", "is required when scheduleEnabled is true"
                )
            ]
        )
    ctx.uow.configs.update(ctx.org_id, config.id, changes)
    sync_schedule(ctx.uow, ctx.org_id, updated, ctx.now)
    return with_mappings(ctx.uow, ctx.org_id, [updated])[0]
