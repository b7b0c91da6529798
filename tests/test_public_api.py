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
    "Integration",
    "IntegrationStatus",
    "Connection",
    "ConnectionStatus",
    "AuthType",
    "TransportType",
    "SyncRun",
    "CredentialCipher",
    "SecretKeyRequired",
    "SecretKeyInvalid",
    "CredentialsUnreadable",
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


def test_credential_errors_are_sdk_errors() -> None:
    for error in (
        sync_sdk.SecretKeyRequired,
        sync_sdk.SecretKeyInvalid,
        sync_sdk.CredentialsUnreadable,
    ):
        assert issubclass(error, sync_sdk.SyncSdkError)
    assert issubclass(sync_sdk.SecretKeyInvalid, ValueError)


def test_models_are_the_hubs() -> None:
    from sync_sdk import models

    for name in ("Integration", "Connection", "SyncRun", "FieldMapping", "IntegrationStatus"):
        assert getattr(sync_sdk, name) is getattr(models, name)


def test_modules_are_exported() -> None:
    from sync_sdk import contracts, signals

    assert contracts.CREATE_SYNC_CONFIG.key == "integration.syncConfig.create"
    assert signals.sync_config_created.name == "integration.syncConfig.created"


def test_package_is_typed() -> None:
    from importlib.resources import files

    assert files("sync_sdk").joinpath("py.typed").is_file()
