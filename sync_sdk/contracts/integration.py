"""The integration contract, ported verbatim from ContractSpec's ``integration.operations.ts``.

``integration.create``: every value as written there, except the example, which does not conform
to the contract's own models. ``CREATE_INTEGRATION`` carries a conforming example with the same
key and the verbatim values that fit; ``VERBATIM_CREATE_SLACK_EXAMPLE`` keeps the verbatim one as
the linter's test data (see "Contract notes" in the README)::

    >>> from sync_sdk.contracts import lint
    >>> lint(CREATE_INTEGRATION)
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
from sync_sdk.models import CreateIntegrationInput, Integration

__all__ = ["CREATE_INTEGRATION", "VERBATIM_CREATE_SLACK_EXAMPLE"]

CREATE_INTEGRATION = OperationContract(
    meta=Meta(
        key="integration.create",
        version="1.0.0",
        kind="command",
        stability="stable",
        owners=["@example.integration-hub"],
        tags=["integration", "create"],
        description="Create a new integration.",
        goal="Allow users to set up integrations with external systems.",
        context="Integration setup.",
    ),
    io=IO(input=CreateIntegrationInput, output=Integration),
    policy=Policy(auth="user"),
    side_effects=SideEffects(
        emits=[
            EmittedEvent(
                key="integration.created",
                version="1.0.0",
                when="Integration created",
                payload=Integration,
            ),
        ],
        audit=["integration.created"],
    ),
    acceptance=Acceptance(
        scenarios=[
            Scenario(
                key="create-integration-happy-path",
                given=["User is admin"],
                when=["User defines new integration type"],
                then=["Integration definition is created", "IntegrationCreated event is emitted"],
            ),
        ],
        examples=[
            Example(
                key="create-slack",
                input={
                    "name": "Slack",
                    "slug": "slack",
                    "provider": "slack",
                    # the verbatim example's two keys that are not fields, kept as its config
                    "config": {"category": "communication", "authType": "oauth2"},
                },
                output={
                    "id": "slack",
                    "name": "Slack",
                    "slug": "slack",
                    "description": None,
                    "provider": "slack",
                    "status": "ACTIVE",
                },
            ),
        ],
    ),
    source_file="packages/examples/integration-hub/src/integration/integration.operations.ts",
)

# Verbatim: the input lacks the required slug and provider and carries ``category`` and
# ``authType``, which are not fields of CreateIntegrationInput; the output's status 'active' is
# not an IntegrationStatus (the enum's member is ACTIVE).
VERBATIM_CREATE_SLACK_EXAMPLE = Example(
    key="create-slack",
    input={"name": "Slack", "category": "communication", "authType": "oauth2"},
    output={"id": "slack", "status": "active"},
)
