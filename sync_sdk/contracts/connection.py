"""The connection contract, ported verbatim from ContractSpec's ``connection.operation.ts``.

``integration.connection.create``: every value as written there, except the example, which does
not conform to the contract's own models. ``CREATE_CONNECTION`` carries a conforming example with
the same key and the verbatim values that fit; ``VERBATIM_CONNECT_CRM_EXAMPLE`` keeps the
verbatim one as the linter's test data (see "Contract notes" in the README)::

    >>> from sync_sdk.contracts import lint
    >>> lint(CREATE_CONNECTION)
    []

.. versionadded:: 0.2.0
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
from sync_sdk.models import Connection, CreateConnectionInput

__all__ = ["CREATE_CONNECTION", "VERBATIM_CONNECT_CRM_EXAMPLE"]

CREATE_CONNECTION = OperationContract(
    meta=Meta(
        key="integration.connection.create",
        version="1.0.0",
        kind="command",
        stability="stable",
        owners=["@example.integration-hub"],
        tags=["integration", "connection", "create"],
        description="Create a connection to an external system.",
        goal="Authenticate with external systems.",
        context="Connection setup.",
    ),
    io=IO(input=CreateConnectionInput, output=Connection),
    policy=Policy(auth="user"),
    side_effects=SideEffects(
        emits=[
            EmittedEvent(
                key="integration.connection.created",
                version="1.0.0",
                when="Connection created",
                payload=Connection,
            ),
        ],
        audit=["integration.connection.created"],
    ),
    acceptance=Acceptance(
        scenarios=[
            Scenario(
                key="create-connection-happy-path",
                given=["User is authenticated"],
                when=["User creates connection with valid credentials"],
                then=["Connection is created", "ConnectionCreated event is emitted"],
            ),
        ],
        examples=[
            Example(
                key="connect-crm",
                input={
                    "name": "Salesforce Prod",
                    "integrationId": "salesforce",
                    "authType": "oauth2",
                    "credentials": {"clientId": "xxx"},
                },
                # A new connection is PENDING, not yet connected: no connectedAt
                output={
                    "id": "conn-123",
                    "integrationId": "salesforce",
                    "name": "Salesforce Prod",
                    "status": "PENDING",
                    "authType": "oauth2",
                },
            ),
        ],
    ),
    source_file="packages/examples/integration-hub/src/connection/connection.operation.ts",
)

# Verbatim: the input lacks the required authType; the output's status 'connected' is not a
# ConnectionStatus (the enum's member is CONNECTED).
VERBATIM_CONNECT_CRM_EXAMPLE = Example(
    key="connect-crm",
    input={
        "name": "Salesforce Prod",
        "integrationId": "salesforce",
        "credentials": {"clientId": "xxx"},
    },
    output={"id": "conn-123", "status": "connected", "connectedAt": "2025-01-01T12:00:00Z"},
)
