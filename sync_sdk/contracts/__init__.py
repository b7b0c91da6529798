"""Operation contracts as data: spec types, a registry, the integration-hub contracts, a linter.

    >>> from sync_sdk import contracts
    >>> contracts.registry.get("integration.syncConfig.create") is contracts.CREATE_SYNC_CONFIG
    True
    >>> contracts.lint(contracts.CREATE_SYNC_CONFIG)
    []

Generated surfaces live beside them: :mod:`sync_sdk.contracts.gherkin` (feature files) and
:mod:`sync_sdk.contracts.docs` (docs pages).

.. versionadded:: 0.1.0
"""

from sync_sdk.contracts.integration_hub import (
    CREATE_SYNC_CONFIG,
    SEED_CREATE_CONTACT_SYNC_EXAMPLE,
)
from sync_sdk.contracts.linter import Finding, lint
from sync_sdk.contracts.registry import ContractRegistry, parse_semver
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

__all__ = [
    "CREATE_SYNC_CONFIG",
    "IO",
    "SEED_CREATE_CONTACT_SYNC_EXAMPLE",
    "Acceptance",
    "Auth",
    "ContractRegistry",
    "EmittedEvent",
    "Example",
    "Finding",
    "Kind",
    "Meta",
    "OperationContract",
    "Policy",
    "Scenario",
    "SideEffects",
    "Stability",
    "lint",
    "parse_semver",
    "registry",
]

#: The registry of the contracts this SDK ships.
registry = ContractRegistry([CREATE_SYNC_CONFIG])
