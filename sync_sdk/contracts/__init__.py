"""Operation contracts as data: spec types, a registry, the integration-hub contracts, a linter.

    >>> from sync_sdk import contracts
    >>> contracts.registry.get("integration.syncConfig.create") is contracts.CREATE_SYNC_CONFIG
    True
    >>> contracts.lint(contracts.CREATE_SYNC_CONFIG)
    []

``HUB_CONTRACTS`` holds all six operations of ContractSpec's integration-hub feature (the seed's
create first), one module per ContractSpec source (:mod:`~sync_sdk.contracts.integration`,
:mod:`~sync_sdk.contracts.connection`, :mod:`~sync_sdk.contracts.sync`); ``VERBATIM_EXAMPLES``
holds each one's example as ContractSpec wrote it, none of which conforms::

    >>> [c.key for c in contracts.HUB_CONTRACTS][:2]
    ['integration.syncConfig.create', 'integration.create']
    >>> [len(lint(c)) for c in contracts.HUB_CONTRACTS]
    [0, 0, 0, 0, 0, 0]

:mod:`sync_sdk.contracts.events` holds the feature's event definitions (``events.ts``) and where
their payloads differ from the operations' ``emits``.

Generated surfaces live beside them: :mod:`sync_sdk.contracts.gherkin` (feature files) and
:mod:`sync_sdk.contracts.docs` (docs pages).

.. versionadded:: 0.1.0
"""

from collections.abc import Mapping
from types import MappingProxyType

from sync_sdk.contracts.connection import CREATE_CONNECTION, VERBATIM_CONNECT_CRM_EXAMPLE
from sync_sdk.contracts.events import (
    FEATURE_EVENTS,
    EventDefinition,
    PayloadMismatch,
    event_payload_mismatches,
)
from sync_sdk.contracts.integration import CREATE_INTEGRATION, VERBATIM_CREATE_SLACK_EXAMPLE
from sync_sdk.contracts.linter import Finding, lint
from sync_sdk.contracts.registry import ContractRegistry, parse_semver
from sync_sdk.contracts.runs import (
    CANCEL_SYNC_RUN,
    RUN_COMPLETED,
    RUN_EVENTS,
    RUN_FAILED,
    UPDATE_SYNC_CONFIG,
)
from sync_sdk.contracts.spec import (
    IO,
    Acceptance,
    Auth,
    EmittedEvent,
    Example,
    Kind,
    Meta,
    OperationContract,
    Policy,
    Scenario,
    SideEffects,
    Stability,
)
from sync_sdk.contracts.sync import (
    ADD_FIELD_MAPPING,
    CREATE_SYNC_CONFIG,
    LIST_SYNC_RUNS,
    SEED_CREATE_CONTACT_SYNC_EXAMPLE,
    TRIGGER_SYNC,
    VERBATIM_LIST_RECENT_EXAMPLE,
    VERBATIM_MANUAL_TRIGGER_EXAMPLE,
    VERBATIM_MAP_EMAIL_EXAMPLE,
)

__all__ = [
    "ADD_FIELD_MAPPING",
    "CANCEL_SYNC_RUN",
    "CREATE_CONNECTION",
    "CREATE_INTEGRATION",
    "CREATE_SYNC_CONFIG",
    "FEATURE_EVENTS",
    "HUB_CONTRACTS",
    "IO",
    "LIST_SYNC_RUNS",
    "OWN_CONTRACTS",
    "RUN_COMPLETED",
    "RUN_EVENTS",
    "RUN_FAILED",
    "SEED_CREATE_CONTACT_SYNC_EXAMPLE",
    "TRIGGER_SYNC",
    "UPDATE_SYNC_CONFIG",
    "VERBATIM_CONNECT_CRM_EXAMPLE",
    "VERBATIM_CREATE_SLACK_EXAMPLE",
    "VERBATIM_EXAMPLES",
    "VERBATIM_LIST_RECENT_EXAMPLE",
    "VERBATIM_MANUAL_TRIGGER_EXAMPLE",
    "VERBATIM_MAP_EMAIL_EXAMPLE",
    "Acceptance",
    "Auth",
    "ContractRegistry",
    "EmittedEvent",
    "EventDefinition",
    "Example",
    "Finding",
    "Kind",
    "Meta",
    "OperationContract",
    "PayloadMismatch",
    "Policy",
    "Scenario",
    "SideEffects",
    "Stability",
    "event_payload_mismatches",
    "lint",
    "parse_semver",
    "registry",
]

#: The six operations of ContractSpec's integration-hub feature, the seed's create first, then
#: in the feature's order.
HUB_CONTRACTS: tuple[OperationContract, ...] = (
    CREATE_SYNC_CONFIG,
    CREATE_INTEGRATION,
    CREATE_CONNECTION,
    ADD_FIELD_MAPPING,
    TRIGGER_SYNC,
    LIST_SYNC_RUNS,
)

#: Each hub contract's example exactly as ContractSpec wrote it, by contract key (none conforms:
#: ``lint`` a contract with it swapped in to see how).
VERBATIM_EXAMPLES: Mapping[str, Example] = MappingProxyType(
    {
        CREATE_SYNC_CONFIG.key: SEED_CREATE_CONTACT_SYNC_EXAMPLE,
        CREATE_INTEGRATION.key: VERBATIM_CREATE_SLACK_EXAMPLE,
        CREATE_CONNECTION.key: VERBATIM_CONNECT_CRM_EXAMPLE,
        ADD_FIELD_MAPPING.key: VERBATIM_MAP_EMAIL_EXAMPLE,
        TRIGGER_SYNC.key: VERBATIM_MANUAL_TRIGGER_EXAMPLE,
        LIST_SYNC_RUNS.key: VERBATIM_LIST_RECENT_EXAMPLE,
    }
)

#: sync_sdk's own contracts for the run lifecycle (see :mod:`sync_sdk.contracts.runs`).
OWN_CONTRACTS: tuple[OperationContract, ...] = (UPDATE_SYNC_CONFIG, CANCEL_SYNC_RUN)

#: The registry of the contracts this SDK ships: the hub's six and its own.
registry = ContractRegistry(HUB_CONTRACTS + OWN_CONTRACTS)
