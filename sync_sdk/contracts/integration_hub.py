"""The integration-hub contracts, ported verbatim from ContractSpec's ``sync.operations.ts``.

Every value of ``CreateSyncConfigContract`` is kept as written there, except its example, which
does not conform to the contract's own schemas: ``CREATE_SYNC_CONFIG`` carries a conforming
example with the same key and the seed's values, and ``SEED_CREATE_CONTACT_SYNC_EXAMPLE`` keeps
the verbatim one for the linter's tests (see "Contract notes" in the README).

.. versionadded:: 0.1.0
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
from sync_sdk.models import CreateSyncConfigInput, SyncConfig

__all__ = ["CREATE_SYNC_CONFIG", "SEED_CREATE_CONTACT_SYNC_EXAMPLE"]

CREATE_SYNC_CONFIG = OperationContract(
    meta=Meta(
        key="integration.syncConfig.create",
        version="1.0.0",
        kind="command",
        stability="stable",
        owners=["@example.integration-hub"],
        tags=["integration", "sync", "config", "create"],
        description="Create a sync configuration.",
        goal="Define how data should be synchronized.",
        context="Sync setup.",
    ),
    io=IO(input=CreateSyncConfigInput, output=SyncConfig),
    policy=Policy(auth="user"),
    side_effects=SideEffects(
        emits=[
            EmittedEvent(
                key="integration.syncConfig.created",
                version="1.0.0",
                when="Sync config created",
                payload=SyncConfig,
            ),
        ],
        audit=["integration.syncConfig.created"],
    ),
    acceptance=Acceptance(
        scenarios=[
            Scenario(
                key="create-sync-happy-path",
                given=["User is authenticated"],
                when=["User creates sync config"],
                then=["Sync config is created", "SyncConfigCreated event is emitted"],
            ),
        ],
        examples=[
            Example(
                key="create-contact-sync",
                input={
                    "integrationId": "int-1",
                    "connectionId": "conn-1",
                    "name": "Contacts Sync",
                    "direction": "OUTBOUND",
                    "sourceObject": "contacts",
                    "targetObject": "contacts",
                },
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
                    "isActive": True,
                    "lastSyncAt": None,
                    "fieldMappings": [],
                },
            ),
        ],
    ),
    source_file="packages/examples/integration-hub/src/sync/sync.operations.ts",
)

# The seed's example exactly as ContractSpec declares it. It does not conform: the input lacks
# five required fields and carries two unknown ones; the output lacks eight required fields and
# has ``status``, which SyncConfig does not have (it has ``isActive``).
SEED_CREATE_CONTACT_SYNC_EXAMPLE = Example(
    key="create-contact-sync",
    input={
        "name": "Contacts Sync",
        "sourceConnectionId": "conn-1",
        "targetConnectionId": "conn-2",
    },
    output={"id": "sync-123", "status": "active"},
)
