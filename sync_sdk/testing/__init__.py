"""The sync_sdk pytest plugin: the contracts' step library, and fixtures for any project.

Installing sync_sdk registers this module with pytest (entry point ``pytest11``, named
``sync_sdk.testing``); by itself that changes no test. A project opts in twice: its root
``conftest.py`` loads the step library, and each feature (or test) that should run on the
SDK's storage targets carries the ``sync_sdk`` tag (marker)::

    # conftest.py
    pytest_plugins = ["sync_sdk.testing.steps"]

    # features/create.feature
    @sync_sdk
    Feature: creating sync configs
      Scenario: a user creates a sync config
        Given User is authenticated
        When User creates sync config
        Then Sync config is created
        And SyncConfigCreated event is emitted

    # test_create.py
    from pytest_bdd import scenarios

    scenarios("features/create.feature")

Each marked test runs once per storage target (``memory``, ``sqlite-memory`` and
``sqlite-file`` by default; ``--sync-sdk-storage URL`` or ``$SYNC_SDK_TEST_STORAGE_URLS`` to
choose, plus ``$SYNC_SDK_TEST_POSTGRES_URL`` when set), with a fresh hub, a recorder of the
events it publishes and an acting user in an org of its own. The project's own fixtures and
steps of the same names win over these, and a phrase nobody defines fails as pytest-bdd fails
it (``StepDefinitionNotFoundError``). The fixtures are described in
:mod:`sync_sdk.testing.plugin`, the steps in :mod:`sync_sdk.testing.steps` and docs/harness.md.

The pieces the steps work with are importable without pytest::

    >>> from sync_sdk.testing import storage_targets
    >>> [t.name for t in storage_targets(["sqlite-file"], {})]
    ['sqlite-file']

.. versionadded:: 0.1.0
"""

from __future__ import annotations

from sync_sdk.testing.harness import (
    DEFAULT_TARGETS,
    POSTGRES_ENV_VAR,
    TARGETS_ENV_VAR,
    EventRecorder,
    PublishedEvent,
    ScenarioIds,
    StorageTarget,
    SyncScenario,
    storage_targets,
)

__all__ = [
    "DEFAULT_TARGETS",
    "POSTGRES_ENV_VAR",
    "TARGETS_ENV_VAR",
    "EventRecorder",
    "PublishedEvent",
    "ScenarioIds",
    "StorageTarget",
    "SyncScenario",
    "storage_targets",
]

# pytest loads this module in every run of an environment where sync_sdk is installed: the
# plugin adds an option, markers and fixtures, and changes only the tests marked sync_sdk. The
# steps (which need pytest-bdd) are loaded by the projects that ask for them.
pytest_plugins = ["sync_sdk.testing.plugin"]
