"""The entity tables of the built-in operations, each declared once from its model.

Configs keep their own hand-tuned tables (the create path is the hot one); everything else the
integration hub stores is here, and every backend derives its schema from these declarations
(see :mod:`sync_sdk.storage.tables`).

.. versionadded:: 0.2.0
"""

from __future__ import annotations

from datetime import datetime

from attrs import frozen

from sync_sdk.models import Connection, FieldMapping, Integration, SyncRun, SyncStatus
from sync_sdk.storage.tables import Column, Table, Unique

__all__ = [
    "ACTIVE_RUN_STATES",
    "CONNECTIONS",
    "FIELD_MAPPINGS",
    "IDEMPOTENCY_KEYS",
    "INTEGRATIONS",
    "SCHEDULES",
    "SYNC_RUNS",
    "IdempotencyRecord",
    "Schedule",
]

#: A run in one of these states is active: a config has at most one.
ACTIVE_RUN_STATES = (SyncStatus.PENDING.value, SyncStatus.RUNNING.value)


@frozen
class IdempotencyRecord:
    """What an idempotency key (the ``id``) of an org was first used for: the operation, a
    digest of its input, and its result as wire JSON (returned again on a replay)."""

    id: str
    operation: str
    request_hash: str
    result_json: str
    created_at: datetime


_CREATED = (Column("created_by", "text", nullable=False),)

INTEGRATIONS = Table(
    "integrations",
    Integration,
    extra=(
        Column("config", "json"),
        Column("feature_flag_key", "text"),
        *_CREATED,
    ),
)

CONNECTIONS = Table(
    "connections",
    Connection,
    extra=(
        # a Fernet token, never the clear text (see sync_sdk.credentials)
        Column("credentials", "text"),
        *_CREATED,
        Column("created_at", "time", nullable=False),
    ),
    indexes=(("integration_id",),),
)

FIELD_MAPPINGS = Table(
    "field_mappings",
    FieldMapping,
    extra=(
        Column("sync_config_id", "text", nullable=False),
        *_CREATED,
        Column("created_at", "time", nullable=False),
    ),
    indexes=(("sync_config_id",),),
)

SYNC_RUNS = Table(
    "sync_runs",
    SyncRun,
    extra=(
        Column("full_sync", "bool", nullable=False),
        *_CREATED,
        # a RUNNING run's worker holds it until then; past it, the worker counts as lost
        Column("lease_until", "time"),
        # cancel_sync_run asked a RUNNING run to stop; its engine sees is_cancelled()
        Column("cancel_requested", "bool", nullable=False),
        # the cron slot a scheduled run is for (None: a manual run)
        Column("scheduled_for", "time"),
    ),
    indexes=(("sync_config_id",),),
    unique=(
        # one active run per config, whoever writes it: the database says so, not a lock
        Unique("active", ("sync_config_id",), when={"status": ACTIVE_RUN_STATES}),
        # one run per config and cron slot, however many schedulers run at once
        Unique("slot", ("sync_config_id", "scheduled_for")),
    ),
    # workers find PENDING runs, and RUNNING ones whose lease ran out, across orgs
    global_indexes=(("status", "lease_until"),),
)


@frozen
class Schedule:
    """When a scheduled config runs next: the config's ``id``, its ``cron``, and ``due_at``, the
    first cron slot after its creation or its last scheduled slot (None while its schedule is
    off or the config is paused); ``last_slot_at`` is the slot of its latest scheduled run."""

    id: str
    cron: str
    due_at: datetime | None
    last_slot_at: datetime | None = None


#: One row per config with a schedule, found by ``due_at`` across orgs: schedule_due reads only
#: the configs that are due.
SCHEDULES = Table("sync_schedules", Schedule, global_indexes=(("due_at",),))

IDEMPOTENCY_KEYS = Table("idempotency_keys", IdempotencyRecord)
