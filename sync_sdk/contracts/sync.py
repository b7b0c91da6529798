"""The sync contracts, ported verbatim from ContractSpec's ``sync/sync.operations.ts``.

``integration.syncConfig.create`` (the seed), ``integration.fieldMapping.add``,
``integration.sync.trigger`` and the query ``integration.syncRun.list``. Every value is kept as
written there, except the examples, which do not conform to their contracts' own models: each
contract carries a conforming example with the same key and the verbatim values that fit, and the
verbatim one is kept beside it as the linter's test data (``SEED_CREATE_CONTACT_SYNC_EXAMPLE``,
``VERBATIM_*_EXAMPLE``; see "Contract notes" in the README)::

    >>> from sync_sdk.contracts import lint
    >>> [lint(c) for c in (CREATE_SYNC_CONFIG, ADD_FIELD_MAPPING, TRIGGER_SYNC, LIST_SYNC_RUNS)]
    [[], [], [], []]

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
from sync_sdk.models import (
    AddFieldMappingInput,
    CreateSyncConfigInput,
    FieldMapping,
    ListSyncRunsInput,
    ListSyncRunsOutput,
    SyncConfig,
    SyncRun,
    TriggerSyncInput,
)

__all__ = [
    "ADD_FIELD_MAPPING",
    "CREATE_SYNC_CONFIG",
    "LIST_SYNC_RUNS",
    "SEED_CREATE_CONTACT_SYNC_EXAMPLE",
    "TRIGGER_SYNC",
    "VERBATIM_LIST_RECENT_EXAMPLE",
    "VERBATIM_MANUAL_TRIGGER_EXAMPLE",
    "VERBATIM_MAP_EMAIL_EXAMPLE",
]

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

ADD_FIELD_MAPPING = OperationContract(
    meta=Meta(
        key="integration.fieldMapping.add",
        version="1.0.0",
        kind="command",
        stability="stable",
        owners=["@example.integration-hub"],
        tags=["integration", "mapping", "field"],
        description="Add a field mapping to a sync config.",
        goal="Map fields between systems.",
        context="Mapping configuration.",
    ),
    io=IO(input=AddFieldMappingInput, output=FieldMapping),
    policy=Policy(auth="user"),
    side_effects=SideEffects(
        emits=[
            EmittedEvent(
                key="integration.fieldMapping.added",
                version="1.0.0",
                when="Mapping added",
                payload=FieldMapping,
            ),
        ],
        audit=[],  # the contract declares none
    ),
    acceptance=Acceptance(
        scenarios=[
            Scenario(
                key="add-mapping-happy-path",
                given=["Sync config exists"],
                when=["User adds field mapping"],
                then=["Mapping is added", "FieldMappingAdded event is emitted"],
            ),
        ],
        examples=[
            Example(
                key="map-email",
                input={
                    "syncConfigId": "sync-123",
                    "sourceField": "email",
                    "targetField": "user_email",
                    "mappingType": "DIRECT",
                },
                output={
                    "id": "map-456",
                    "sourceField": "email",
                    "targetField": "user_email",
                    "mappingType": "DIRECT",
                    "transformExpression": None,
                    "isRequired": False,
                    "lookupConfig": None,
                    "constantValue": None,
                    "defaultValue": None,
                },
            ),
        ],
    ),
    source_file="packages/examples/integration-hub/src/sync/sync.operations.ts",
)

# Verbatim: the input lacks the required mappingType; the output's ``type`` is not a field of
# FieldMapping (it has ``mappingType``, one of DIRECT, TRANSFORM, LOOKUP, CONSTANT, COMPUTED).
VERBATIM_MAP_EMAIL_EXAMPLE = Example(
    key="map-email",
    input={"syncConfigId": "sync-123", "sourceField": "email", "targetField": "user_email"},
    output={"id": "map-456", "type": "string"},
)

TRIGGER_SYNC = OperationContract(
    meta=Meta(
        key="integration.sync.trigger",
        version="1.0.0",
        kind="command",
        stability="stable",
        owners=["@example.integration-hub"],
        tags=["integration", "sync", "trigger"],
        description="Trigger a manual sync.",
        goal="Start data synchronization.",
        context="Manual sync or webhook trigger.",
    ),
    io=IO(input=TriggerSyncInput, output=SyncRun),
    policy=Policy(auth="user"),
    side_effects=SideEffects(
        emits=[
            EmittedEvent(
                key="integration.sync.started",
                version="1.0.0",
                when="Sync starts",
                payload=SyncRun,
            ),
        ],
        # An audit key that is not an emitted event: the action, as the contract names it
        audit=["integration.sync.triggered"],
    ),
    acceptance=Acceptance(
        scenarios=[
            Scenario(
                key="trigger-sync-happy-path",
                given=["Sync config exists"],
                when=["User triggers sync"],
                then=["Sync run starts", "SyncStarted event is emitted"],
            ),
        ],
        examples=[
            Example(
                key="manual-trigger",
                input={"syncConfigId": "sync-123"},
                output={
                    "id": "run-789",
                    "syncConfigId": "sync-123",
                    "status": "PENDING",
                    "trigger": "manual",
                    "recordsProcessed": 0,
                    "recordsCreated": 0,
                    "recordsUpdated": 0,
                    "recordsFailed": 0,
                    "errorMessage": None,
                    "startedAt": None,
                    "completedAt": None,
                },
            ),
        ],
    ),
    source_file="packages/examples/integration-hub/src/sync/sync.operations.ts",
)

# Verbatim: the output's status 'pending' is not a SyncStatus (the enum's member is PENDING).
VERBATIM_MANUAL_TRIGGER_EXAMPLE = Example(
    key="manual-trigger",
    input={"syncConfigId": "sync-123"},
    output={"id": "run-789", "status": "pending"},
)

LIST_SYNC_RUNS = OperationContract(
    meta=Meta(
        key="integration.syncRun.list",
        version="1.0.0",
        kind="query",
        stability="stable",
        owners=["@example.integration-hub"],
        tags=["integration", "sync", "run", "list"],
        description="List sync run history.",
        goal="View sync history and status.",
        context="Sync monitoring.",
    ),
    io=IO(input=ListSyncRunsInput, output=ListSyncRunsOutput),
    policy=Policy(auth="user"),
    side_effects=SideEffects(emits=[], audit=[]),  # a query: the contract declares none
    acceptance=Acceptance(
        scenarios=[
            Scenario(
                key="list-runs-happy-path",
                given=["User has access to syncs"],
                when=["User lists sync runs"],
                then=["List of runs is returned"],
            ),
        ],
        examples=[
            Example(
                key="list-recent",
                input={"syncConfigId": "sync-123", "limit": 10},
                output={"runs": [], "total": 0},
            ),
        ],
    ),
    source_file="packages/examples/integration-hub/src/sync/sync.operations.ts",
)

# Verbatim: the input lacks the required syncConfigId; the output's ``items`` is not a field of
# ListSyncRunsOutput (it has ``runs``), and a total of 50 with no item on the first page of 10
# cannot happen.
VERBATIM_LIST_RECENT_EXAMPLE = Example(
    key="list-recent",
    input={"limit": 10},
    output={"items": [], "total": 50},
)
