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
    "SYNC_RUNS",
    "IdempotencyRecord",
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
    ),
    indexes=(("sync_config_id",),),
    # one active run per config, whoever writes it: the database says so, not a lock
    unique=(Unique("active", ("sync_config_id",), when={"status": ACTIVE_RUN_STATES}),),
)

IDEMPOTENCY_KEYS = Table("idempotency_keys", IdempotencyRecord)
