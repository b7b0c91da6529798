"""Handlers of ``integration.create`` and ``integration.connection.create``.

.. versionadded:: 0.2.0
"""

from __future__ import annotations

from sync_sdk.models import (
    Connection,
    ConnectionStatus,
    CreateConnectionInput,
    CreateIntegrationInput,
    Integration,
    IntegrationStatus,
)
from sync_sdk.operations.context import Context
from sync_sdk.operations.tables import CONNECTIONS, INTEGRATIONS

__all__ = ["create_connection", "create_integration"]


def create_integration(ctx: Context, command: CreateIntegrationInput) -> Integration:
    """A new integration is ``ACTIVE``; its ``config`` and ``featureFlagKey`` are kept beside
    it (the contract's model has no field for them)."""
    integration = Integration(
        id=ctx.new_id("int_"),
        name=command.name,
        slug=command.slug,
        description=command.description,
        provider=command.provider,
        status=IntegrationStatus.ACTIVE,
        created_at=ctx.now,
    )
    ctx.table(INTEGRATIONS).add(
        ctx.org_id,
        integration,
        {
            "config": command.config,
            "feature_flag_key": command.feature_flag_key,
            "created_by": ctx.actor.id,
        },
    )
    return integration


def create_connection(ctx: Context, command: CreateConnectionInput) -> Connection:
    """A new connection is ``PENDING``. Its credentials, if any, are stored only as a token of
    the hub's cipher (:class:`~sync_sdk.credentials.SecretKeyRequired` without a key). The
    integration it names need not exist here: an app may keep integrations elsewhere."""
    token = None
    if command.credentials is not None:
        token = ctx.cipher.encrypt(command.credentials)
    connection = Connection(
        id=ctx.new_id("conn_"),
        integration_id=command.integration_id,
        name=command.name,
        status=ConnectionStatus.PENDING,
        auth_type=command.auth_type,
        transport=command.transport,
        auth_method=command.auth_method,
        api_version=command.api_version,
        ownership_mode=command.ownership_mode,
    )
    ctx.table(CONNECTIONS).add(
        ctx.org_id,
        connection,
        {"credentials": token, "created_by": ctx.actor.id, "created_at": ctx.now},
    )
    return connection
