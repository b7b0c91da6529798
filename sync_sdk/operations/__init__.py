"""The handlers of the built-in operations, bound to their contracts in the registry.

An operation is a contract plus a handler (``handler(context, command) -> output``) and the
entity tables it keeps records in. :meth:`SyncHub.execute <sync_sdk.SyncHub.execute>` runs any
of them on one pipeline: validate the input against the contract's input model, enforce
``policy.auth``, check the idempotency key, run the handler in a unit of work, write one audit
record per ``sideEffects.audit`` key and one outbox event per declared emit, commit, publish.
A query runs in a read-only unit of work, with no audit record, event or idempotency key.

=====================================  ================================  =====================
contract                               handler                           tables
=====================================  ================================  =====================
``integration.syncConfig.create``      the hub's own batch path          the config tables
``integration.create``                 :func:`.integration.create_integration`  ``integrations``
``integration.connection.create``      :func:`.integration.create_connection`   ``connections``
``integration.fieldMapping.add``       :func:`.sync.add_field_mapping`   ``field_mappings``
``integration.sync.trigger``           :func:`.sync.trigger_sync`        ``sync_runs``
``integration.syncRun.list``           :func:`.sync.list_sync_runs`      ``sync_runs``
``integration.syncConfig.update``      :func:`.runs.update_sync_config`  ``sync_schedules``
``integration.syncRun.cancel``         :func:`.runs.cancel_sync_run`     ``sync_runs``
=====================================  ================================  =====================

.. versionadded:: 0.2.0
"""

from __future__ import annotations

from sync_sdk.contracts import (
    ADD_FIELD_MAPPING,
    CANCEL_SYNC_RUN,
    CREATE_CONNECTION,
    CREATE_INTEGRATION,
    LIST_SYNC_RUNS,
    TRIGGER_SYNC,
    UPDATE_SYNC_CONFIG,
    registry,
)
from sync_sdk.contracts.registry import Operation
from sync_sdk.operations.context import Context
from sync_sdk.operations.integration import create_connection, create_integration
from sync_sdk.operations.runs import cancel_sync_run, update_sync_config
from sync_sdk.operations.sync import add_field_mapping, list_sync_runs, trigger_sync
from sync_sdk.operations.tables import (
    CONNECTIONS,
    FIELD_MAPPINGS,
    IDEMPOTENCY_KEYS,
    INTEGRATIONS,
    SCHEDULES,
    SYNC_RUNS,
)

__all__ = ["BUILTIN_TABLES", "Context", "Operation"]

#: The tables every hub makes sure of when it opens its storage.
BUILTIN_TABLES = (
    INTEGRATIONS,
    CONNECTIONS,
    FIELD_MAPPINGS,
    SYNC_RUNS,
    IDEMPOTENCY_KEYS,
    SCHEDULES,
)

registry.bind(CREATE_INTEGRATION, create_integration, tables=(INTEGRATIONS,))
registry.bind(CREATE_CONNECTION, create_connection, tables=(CONNECTIONS,))
registry.bind(ADD_FIELD_MAPPING, add_field_mapping, tables=(FIELD_MAPPINGS,))
registry.bind(TRIGGER_SYNC, trigger_sync, tables=(SYNC_RUNS,))
registry.bind(LIST_SYNC_RUNS, list_sync_runs, tables=(SYNC_RUNS,))
registry.bind(UPDATE_SYNC_CONFIG, update_sync_config, tables=(SCHEDULES,))
registry.bind(CANCEL_SYNC_RUN, cancel_sync_run, tables=(SYNC_RUNS,))
