"""sync_sdk's own contracts for the run lifecycle, beside the ported ones.

ContractSpec's integration-hub feature defines the run (``SyncRunModel``, ``SyncStatus``) and the
events ``integration.sync.completed`` and ``integration.sync.failed`` (in ``events.ts``), but no
operation to cancel a run or to change a config, and its sync engine is placeholders. These
contracts are written in the same form as the ported ones, so that the same pipeline, linter,
feature generator and docs generator serve them::

    >>> from sync_sdk.contracts import lint
    >>> [lint(c) for c in (CANCEL_SYNC_RUN, UPDATE_SYNC_CONFIG)]
    [[], []]

:data:`RUN_EVENTS` declares what a worker emits when a run ends (see
:meth:`SyncHub.run_pending <sync_sdk.SyncHub.run_pending>`): the finished
:class:`~sync_sdk.models.SyncRun` as the payload, as ``integration.sync.started`` carries the new
one, rather than ``events.ts``'s narrower payloads (see "Contract notes" in the README).

.. versionadded:: 0.3.0
"""

from __future__ import annotations

from sync_sdk.contracts.spec import (
    IO,
    Acceptance,
    EmittedEvent,
    Example,
    Meta,
    OperationContract,
    Policy,
    Scenario,
    SideEffects,
)
from sync_sdk.models import CancelSyncRunInput, SyncConfig, SyncRun, UpdateSyncConfigInput

__all__ = ["CANCEL_SYNC_RUN", "RUN_COMPLETED", "RUN_EVENTS", "RUN_FAILED", "UPDATE_SYNC_CONFIG"]

_OWNERS = ["@sync-sdk"]

CANCEL_SYNC_RUN = OperationContract(
    meta=Meta(
        key="integration.syncRun.cancel",
        version="1.0.0",
        kind="command",
        stability="stable",
        owners=_OWNERS,
        tags=["integration", "sync", "cancel"],
        description="Cancel a pending or running sync run.",
        goal="Stop a sync that should not run, or not run to its end.",
        context="A sync started by mistake, or one that takes too long.",
    ),
    io=IO(input=CancelSyncRunInput, output=SyncRun),
    policy=Policy(auth="user"),
    side_effects=SideEffects(
        emits=[
            EmittedEvent(
                key="integration.sync.cancelled",
                version="1.0.0",
                when="The run is cancelled: at once when pending, when its engine stops if running",
                payload=SyncRun,
            ),
        ],
        audit=["integration.sync.cancelled"],
    ),
    acceptance=Acceptance(
        scenarios=[
            Scenario(
                key="cancel-pending-run",
                given=["A sync run is pending"],
                when=["User cancels the sync run"],
                then=["Sync run is cancelled", "SyncCancelled event is emitted"],
            ),
            Scenario(
                key="cancel-finished-run",
                given=["A sync run has completed"],
                when=["User cancels the sync run"],
                then=["Cancellation is refused"],
            ),
        ],
        examples=[
            Example(
                key="cancel-pending",
                input={"syncRunId": "run-789"},
                output={
                    "id": "run-789",
                    "syncConfigId": "sync-123",
                    "status": "CANCELLED",
                    "trigger": "manual",
                    "recordsProcessed": 0,
                    "recordsCreated": 0,
                    "recordsUpdated": 0,
                    "recordsFailed": 0,
                    "errorMessage": None,
                    "startedAt": None,
                },
            ),
        ],
    ),
)

UPDATE_SYNC_CONFIG = OperationContract(
    meta=Meta(
        key="integration.syncConfig.update",
        version="1.0.0",
        kind="command",
        stability="stable",
        owners=_OWNERS,
        tags=["integration", "sync", "update"],
        description="Rename a sync config, change its schedule, or pause and resume it.",
        goal="Keep a sync config in line with how it should run.",
        context="Schedules change; a sync is paused while its target is down.",
    ),
    io=IO(input=UpdateSyncConfigInput, output=SyncConfig),
    policy=Policy(auth="user"),
    side_effects=SideEffects(
        emits=[
            EmittedEvent(
                key="integration.syncConfig.updated",
                version="1.0.0",
                when="Sync config updated",
                payload=SyncConfig,
            ),
        ],
        audit=["integration.syncConfig.updated"],
    ),
    acceptance=Acceptance(
        scenarios=[
            Scenario(
                key="pause-sync-config",
                given=["Sync config exists"],
                when=["User pauses the sync config"],
                then=["Sync config is paused", "SyncConfigUpdated event is emitted"],
            ),
        ],
        examples=[
            Example(
                key="pause-contacts-sync",
                input={"syncConfigId": "sync-123", "isActive": False},
                output={
                    "id": "sync-123",
                    "integrationId": "int-1",
                    "connectionId": "conn-1",
                    "name": "Contacts Sync",
                    "direction": "OUTBOUND",
                    "sourceObject": "contacts",
                    "targetObject": "contacts",
                    "scheduleEnabled": False,
                    "scheduleCron": None,
                    "isActive": False,
                    "lastSyncAt": None,
                    "fieldMappings": [],
                },
            ),
        ],
    ),
)

#: A run completed: its engine returned a result without an error message.
RUN_COMPLETED = EmittedEvent(
    key="integration.sync.completed", version="1.0.0", when="Sync completes", payload=SyncRun
)
#: A run failed: its engine raised or reported an error, or its worker was lost.
RUN_FAILED = EmittedEvent(
    key="integration.sync.failed", version="1.0.0", when="Sync fails", payload=SyncRun
)
#: The events a worker emits when a run ends (a cancelled run's is CANCEL_SYNC_RUN's).
RUN_EVENTS = (RUN_COMPLETED, RUN_FAILED)
