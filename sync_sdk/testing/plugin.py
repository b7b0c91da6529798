"""Fixtures and hooks of the sync_sdk pytest plugin (loaded through :mod:`sync_sdk.testing`).

Fixtures, fresh for each scenario (each test):

``sync_storage``
    The :class:`~sync_sdk.testing.harness.StorageTarget` of this run of the test; any test that
    uses it (directly or through the fixtures below) runs once per configured target.
``sync_storage_url``
    Its URL for this test (``sqlite-file``: a new file in the test's ``tmp_path``).
``sync_actor``
    The acting user: an authenticated :class:`~sync_sdk.Actor` in an org of its own, so that
    scenarios sharing a database server never see each other's rows.
``sync_ids``
    The hub's id factory (:class:`~sync_sdk.testing.harness.ScenarioIds`).
``sync_hub``
    A :class:`~sync_sdk.SyncHub` on that storage with that id factory, closed afterwards.
``sync_config_input``
    The input ``When User creates sync config`` sends: the first example of the contract.
    Override it in a ``conftest.py`` to send another.
``sync_scenario``
    The scenario's state (:class:`~sync_sdk.testing.harness.SyncScenario`), with the event
    recorder (``sync_scenario.events``) connected to the hub.
``sync_events``
    That recorder (:class:`~sync_sdk.testing.harness.EventRecorder`).

.. versionadded:: 0.1.0
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from pytest_bdd.parser import ScenarioTemplate
from pytest_bdd.scenario import scenario_wrapper_template_registry

from sync_sdk.contracts import registry
from sync_sdk.contracts.gherkin import (
    ACCEPTANCE_EXAMPLE_TAG,
    ACCEPTANCE_SCENARIO_TAG,
    BEYOND_CONTRACT_TAG,
    CONTRACT_TAG,
    operation_marker,
    version_marker,
)
from sync_sdk.hub import SyncHub
from sync_sdk.records import Actor
from sync_sdk.testing.harness import (
    POSTGRES_ENV_VAR,
    TARGETS_ENV_VAR,
    EventRecorder,
    ScenarioIds,
    StorageTarget,
    SyncScenario,
    storage_targets,
)
from sync_sdk.testing.steps import STEP_PARSERS

_TARGETS = pytest.StashKey[list[StorageTarget]]()
_STORAGE_FIXTURE = "sync_storage"


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("sync_sdk", "sync_sdk acceptance harness")
    group.addoption(
        "--sync-sdk-storage",
        action="append",
        dest="sync_sdk_storage",
        metavar="URL",
        default=None,
        help=(
            "storage the sync_sdk features run against (repeatable): a URL, or memory, "
            f"sqlite-memory, sqlite-file. Default: ${TARGETS_ENV_VAR} (comma-separated), else "
            f"memory, sqlite-memory and sqlite-file; ${POSTGRES_ENV_VAR} is added when set."
        ),
    )


def _markers() -> dict[str, str]:
    markers = {
        CONTRACT_TAG: "a scenario generated from an operation contract (features/)",
        ACCEPTANCE_SCENARIO_TAG: "a contract's acceptance scenario, its lines verbatim",
        ACCEPTANCE_EXAMPLE_TAG: "a contract's acceptance example, input and output in the file",
        BEYOND_CONTRACT_TAG: "sync_sdk's own scenario: what the contract does not say",
    }
    for contract in registry:
        markers[operation_marker(contract)] = f"a scenario of the operation {contract.key}"
        markers[version_marker(contract)] = f"a scenario of {contract.key} v{contract.version}"
    return markers


def pytest_configure(config: pytest.Config) -> None:
    # Registered, so that the features' tags pass --strict-markers.
    for name, description in _markers().items():
        config.addinivalue_line("markers", f"{name}: {description}")
    config.stash[_TARGETS] = storage_targets(config.getoption("sync_sdk_storage"), os.environ)


def _uses_sync_steps(template: ScenarioTemplate) -> bool:
    contexts: list[dict[str, Any]] = [{}]
    for examples in template.examples:
        contexts.extend(examples.as_contexts())
    for context in contexts:
        for step in template.render(context).steps:
            for step_type, parser in STEP_PARSERS:
                if step_type == step.type and parser.is_matching(step.name):
                    return True
    return False


@pytest.hookimpl(tryfirst=True)
def pytest_pycollect_makeitem(collector: pytest.Collector, name: str, obj: object) -> None:
    """Make each pytest-bdd scenario that uses this library's steps depend on ``sync_storage``.

    Step definitions reach fixtures only while the test runs, too late for pytest to
    parametrize them; declaring the dependency here lets :func:`pytest_generate_tests` run the
    scenario once per storage target. Scenarios of other step libraries are left alone.
    """
    try:
        template = scenario_wrapper_template_registry.get(obj)  # type: ignore[call-overload]
    except TypeError:  # not weak-referenceable: not a scenario
        return
    if template is None or not _uses_sync_steps(template):
        return
    marks = getattr(obj, "pytestmark", [])
    if not any(m.name == "usefixtures" and _STORAGE_FIXTURE in m.args for m in marks):
        pytest.mark.usefixtures(_STORAGE_FIXTURE)(obj)


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if _STORAGE_FIXTURE in metafunc.fixturenames:
        targets = metafunc.config.stash[_TARGETS]
        metafunc.parametrize(
            _STORAGE_FIXTURE, targets, ids=[t.name for t in targets], indirect=True
        )


@pytest.fixture
def sync_storage(request: pytest.FixtureRequest) -> StorageTarget:
    """The storage target of this test (parametrized over every configured target)."""
    param = getattr(request, "param", None)
    if isinstance(param, StorageTarget):
        return param
    return request.config.stash[_TARGETS][0]  # reached only at run time: the first target


@pytest.fixture
def sync_storage_url(sync_storage: StorageTarget, request: pytest.FixtureRequest) -> str:
    """The storage URL of this test."""
    return sync_storage.resolve(lambda: request.getfixturevalue("tmp_path"))


@pytest.fixture
def sync_actor() -> Actor:
    """The acting user: authenticated, in an org no other scenario uses."""
    token = uuid.uuid4().hex[:12]
    return Actor(id=f"user-{token}", org_id=f"org-{token}")


@pytest.fixture
def sync_ids(sync_storage: StorageTarget) -> ScenarioIds:
    """The hub's id factory: pinned ids first, then random ones."""
    return ScenarioIds(shared=not sync_storage.private)


@pytest.fixture
def sync_hub(sync_storage_url: str, sync_ids: ScenarioIds) -> Iterator[SyncHub]:
    """A fresh SyncHub on this test's storage."""
    with SyncHub(sync_storage_url, id_factory=sync_ids) as hub:
        yield hub


@pytest.fixture
def sync_config_input() -> dict[str, Any]:
    """The input of ``When User creates sync config``: the contract's first example's."""
    examples = SyncHub.contract.acceptance.examples
    if not examples:  # pragma: no cover - the shipped contract has one
        raise LookupError(f"{SyncHub.contract.key} has no example to take an input from")
    return dict(examples[0].input)


@pytest.fixture
def sync_scenario(
    sync_hub: SyncHub,
    sync_storage: StorageTarget,
    sync_storage_url: str,
    sync_actor: Actor,
    sync_ids: ScenarioIds,
    sync_config_input: dict[str, Any],
) -> Iterator[SyncScenario]:
    """The state of this scenario, with its event recorder connected."""
    scenario = SyncScenario.open(
        sync_hub, sync_storage, sync_storage_url, sync_actor, sync_ids, sync_config_input
    )
    try:
        yield scenario
    finally:
        scenario.close()


@pytest.fixture
def sync_events(sync_scenario: SyncScenario) -> EventRecorder:
    """Every event the scenario's hub published, with what storage held when it arrived."""
    return sync_scenario.events
