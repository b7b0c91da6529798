"""sync_sdk: manage data-sync configurations from operation contracts.

>>> from sync_sdk import SyncHub, Actor
>>> hub = SyncHub()   # a private in-memory SQLite database
>>> cfg = hub.create_sync_config(integration_id="int-1", connection_id="conn-1",
...     name="Contacts Sync", direction="OUTBOUND", source_object="contacts",
...     target_object="contacts", actor=Actor(id="user-1", org_id="org-1"))
>>> cfg.is_active
True
"""

from sync_sdk import contracts, signals
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
    CreateSyncConfigInput,
    FieldMapping,
    MappingType,
    SyncConfig,
    SyncDirection,
    SyncStatus,
)
from sync_sdk.records import Actor, AuditRecord, Page

__version__ = "0.1.0"

__all__ = [
    "Actor",
    "AuditRecord",
    "AuthenticationRequired",
    "ConfigurationError",
    "ConfigurationTypeError",
    "Conflict",
    "CreateSyncConfigInput",
    "EventEnvelope",
    "FieldMapping",
    "MappingType",
    "NotFound",
    "Page",
    "PermissionDenied",
    "StorageError",
    "SyncConfig",
    "SyncDirection",
    "SyncHub",
    "SyncSdkError",
    "SyncStatus",
    "ValidationError",
    "contracts",
    "signals",
]
