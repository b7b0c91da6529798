"""Handlers of ``integration.fieldMapping.add``, ``integration.sync.trigger`` and
``integration.syncRun.list``.

.. versionadded:: 0.2.0
"""

from __future__ import annotations

from datetime import datetime

import attrs

from sync_sdk.errors import Conflict, NotFound
from sync_sdk.models import (
    AddFieldMappingInput,
    FieldMapping,
    ListSyncRunsInput,
    SyncConfig,
    SyncRun,
    SyncStatus,
    TriggerSyncInput,
)
from sync_sdk.operations.context import Context
from sync_sdk.operations.tables import ACTIVE_RUN_STATES, FIELD_MAPPINGS, SYNC_RUNS
from sync_sdk.records import Page
from sync_sdk.storage.base import UnitOfWork

__all__ = [
    "add_field_mapping",
    "config_of",
    "list_sync_runs",
    "run_extras",
    "trigger_sync",
    "with_mappings",
]


def config_of(ctx: Context, config_id: str) -> SyncConfig:
    """The sync config ``config_id`` of the actor's org; :class:`NotFound` otherwise."""
    config = ctx.uow.configs.get(ctx.org_id, config_id)
    if config is None:
        raise NotFound(f"sync config {config_id!r} not found")
    return config


def with_mappings(uow: UnitOfWork, org_id: str, configs: list[SyncConfig]) -> list[SyncConfig]:
    """``configs`` with their field mappings (in the order they were added)."""
    if not configs:
        return configs
    ids = tuple(c.id for c in configs)
    table = uow.table(FIELD_MAPPINGS)
    if len(ids) == 1:
        mappings = {ids[0]: tuple(table.find(org_id, {"sync_config_id": ids[0]}))}
        if not mappings[ids[0]]:
            return configs
    else:
        found: dict[str, list[FieldMapping]] = {}
        for config_id in ids:  # one indexed lookup each: a page holds at most 1,000
            rows = table.find(org_id, {"sync_config_id": config_id})
            if rows:
                found[config_id] = rows
        if not found:
            return configs
        mappings = {k: tuple(v) for k, v in found.items()}
    return [
        c if c.id not in mappings else attrs.evolve(c, field_mappings=mappings[c.id])
        for c in configs
    ]


def add_field_mapping(ctx: Context, command: AddFieldMappingInput) -> FieldMapping:
    """Add a mapping to a config of the actor's org (:class:`NotFound` otherwise); it shows
    in the config's ``fieldMappings`` after those added before it."""
    config = config_of(ctx, command.sync_config_id)
    mapping = FieldMapping(
        id=ctx.new_id("map_"),
        source_field=command.source_field,
        target_field=command.target_field,
        mapping_type=command.mapping_type,
        is_required=command.is_required,
        transform_expression=command.transform_expression,
        lookup_config=command.lookup_config,
        constant_value=command.constant_value,
        default_value=command.default_value,
    )
    ctx.table(FIELD_MAPPINGS).add(
        ctx.org_id,
        mapping,
        {"sync_config_id": config.id, "created_by": ctx.actor.id, "created_at": ctx.now},
    )
    return mapping


def trigger_sync(ctx: Context, command: TriggerSyncInput) -> SyncRun:
    """A new ``PENDING`` run of a config of the actor's org, triggered ``"manual"``.

    :class:`NotFound` for a config the org does not have; :class:`Conflict` for a paused
    config, or one with an active (PENDING or RUNNING) run, naming that run. The rule holds
    across threads and processes: the run table's partial unique index refuses a second
    active run, and the pipeline then runs this handler again, which finds the winner's run.
    """
    config = config_of(ctx, command.sync_config_id)
    if not config.is_active:
        raise Conflict(f"sync config {config.id!r} is paused (isActive is false)")
    runs = ctx.table(SYNC_RUNS)
    active = runs.find(
        ctx.org_id, {"sync_config_id": config.id, "status": ACTIVE_RUN_STATES}, limit=1
    )
    if active:
        run = active[0]
        raise Conflict(
            f"sync config {config.id!r} already has an active run: {run.id!r} ({run.status})"
        )
    run = SyncRun(
        id=ctx.new_id("run_"),
        sync_config_id=config.id,
        status=SyncStatus.PENDING,
        direction=command.direction or config.direction,
        trigger="manual",
        records_processed=0,
        records_created=0,
        records_updated=0,
        records_failed=0,
        created_at=ctx.now,
    )
    runs.add(ctx.org_id, run, run_extras(ctx.actor.id, full_sync=command.full_sync))
    return run


def run_extras(
    created_by: str, *, full_sync: bool = False, scheduled_for: datetime | None = None
) -> dict[str, object]:
    """The hidden columns of a new run."""
    return {
        "full_sync": full_sync,
        "created_by": created_by,
        "lease_until": None,
        "cancel_requested": False,
        "scheduled_for": scheduled_for,
    }


def list_sync_runs(ctx: Context, command: ListSyncRunsInput) -> Page[SyncRun]:
    """A page of a config's runs, newest first, and the ``total`` matching the filter.

    :class:`NotFound` for a config the actor's org does not have.
    """
    config = config_of(ctx, command.sync_config_id)
    where: dict[str, object] = {"sync_config_id": config.id}
    if command.status is not None:
        where["status"] = command.status
    runs = ctx.table(SYNC_RUNS)
    items = runs.find(
        ctx.org_id, where, newest_first=True, limit=command.limit, offset=command.offset
    )
    return Page(
        items=items,
        total=runs.count(ctx.org_id, where),
        limit=command.limit,
        offset=command.offset,
        wire_key="runs",
    )
