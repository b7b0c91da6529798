import sync_sdk

PUBLIC = {
    "SyncHub",
    "Actor",
    "AuditRecord",
    "Page",
    "CreateSyncConfigInput",
    "SyncConfig",
    "FieldMapping",
    "SyncDirection",
    "MappingType",
    "SyncStatus",
    "SyncSdkError",
    "ValidationError",
    "AuthenticationRequired",
    "PermissionDenied",
    "NotFound",
    "Conflict",
    "StorageError",
    "ConfigurationError",
    "ConfigurationTypeError",
    "EventEnvelope",
    "contracts",
    "signals",
}


def test_all_is_exactly_the_public_api() -> None:
    assert set(sync_sdk.__all__) == PUBLIC
    assert sync_sdk.__all__ == sorted(sync_sdk.__all__, key=str)  # explicit and sorted
    for name in sync_sdk.__all__:
        assert getattr(sync_sdk, name) is not None


def test_modules_are_exported() -> None:
    from sync_sdk import contracts, signals

    assert contracts.CREATE_SYNC_CONFIG.key == "integration.syncConfig.create"
    assert signals.sync_config_created.name == "integration.syncConfig.created"


def test_package_is_typed() -> None:
    from importlib.resources import files

    assert files("sync_sdk").joinpath("py.typed").is_file()
