"""sync_sdk: manage data-sync configurations from operation contracts.

>>> from sync_sdk import SyncHub, Actor
>>> hub = SyncHub()   # a private in-memory SQLite database
>>> cfg = hub.create_sync_config(integration_id="int-1", connection_id="conn-1",
...     name="Contacts Sync", direction="OUTBOUND", source_object="contacts",
...     target_object="contacts", actor=Actor(id="user-1", org_id="org-1"))
>>> cfg.is_active
True
>>> run = hub.trigger_sync(sync_config_id=cfg.id, actor=Actor(id="user-1", org_id="org-1"))
>>> run.status, run.id[:4]
(<SyncStatus.PENDING: 'PENDING'>, 'run_')
"""

from sync_sdk import contracts, signals
from sync_sdk.credentials import (
    CredentialCipher,
    CredentialsUnreadable,
    SecretKeyInvalid,
    SecretKeyRequired,
)
from sync_sdk.errors import (
    AuthenticationRequired,
    ConfigurationError,
    ConfigurationTypeError,
    Conflict,
    NotFound,
    PermissionDenied,
    StorageError,
    SyncSdkError,
    ValidationError,
)
from sync_sdk.events import EventEnvelope
from sync_sdk.hub import SyncHub
from sync_sdk.models import (
    AuthType,
    Connection,
    ConnectionStatus,
    CreateSyncConfigInput,
    FieldMapping,
    Integration,
    IntegrationStatus,
    MappingType,
    SyncConfig,
    SyncDirection,
    SyncRun,
    SyncStatus,
    TransportType,
)
from sync_sdk.records import Actor, AuditRecord, Page

__version__ = "0.1.0"

__all__ = [
    "Actor",
    "AuditRecord",
    "AuthType",
    "AuthenticationRequired",
    "ConfigurationError",
    "ConfigurationTypeError",
    "Conflict",
    "Connection",
    "ConnectionStatus",
    "CreateSyncConfigInput",
    "CredentialCipher",
    "CredentialsUnreadable",
    "EventEnvelope",
    "FieldMapping",
    "Integration",
    "IntegrationStatus",
    "MappingType",
    "NotFound",
    "Page",
    "PermissionDenied",
    "SecretKeyInvalid",
    "SecretKeyRequired",
    "StorageError",
    "SyncConfig",
    "SyncDirection",
    "SyncHub",
    "SyncRun",
    "SyncSdkError",
    "SyncStatus",
    "TransportType",
    "ValidationError",
    "contracts",
    "signals",
]
