"""Fixtures and hooks of the sync_sdk pytest plugin (loaded through :mod:`sync_sdk.testing`).

Installing sync_sdk loads this module into every pytest run of the environment, so it changes no
test that did not ask for it: it adds the ``--sync-sdk-storage`` option, registers the markers,
and defines the fixtures below, which a project's own fixtures of the same name override. A test
opts in with the ``sync_sdk`` marker (a feature: the ``@sync_sdk`` tag; a module:
``pytestmark = pytest.mark.sync_sdk``), and then runs once per storage target. The step library
is not loaded here: a project loads it with ``pytest_plugins = ["sync_sdk.testing.steps"]`` in
its root ``conftest.py``.

Fixtures, fresh for each test (a test using them must carry the ``sync_sdk`` marker):

``sync_storage``
    The :class:`~sync_sdk.testing.harness.StorageTarget` of this run of the test.
``sync_storage_url``
    Its URL for this test (``sqlite-file``: a new file in the test's ``tmp_path``).
``sync_actor``
    The acting user: an authenticated :class:`~sync_sdk.Actor` in an org of its own, so that
    scenarios sharing a database server never see each other's rows.
``sync_ids``
    The hub's id factories (:class:`~sync_sdk.testing.harness.ScenarioIds`): config ids and,
    by prefix, the other entities' ids.
``sync_secret_key``
    A new Fernet key, the hub's ``secret_key`` for connection credentials.
``sync_hub``
    A :class:`~sync_sdk.SyncHub` on that storage with those id factories and that key, closed
    afterwards.
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

import importlib.util
import os
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from cryptography.fernet import Fernet

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
from sync_sdk.storage import redact_url
from sync_sdk.testing.harness import (
    ALIASES,
    POSTGRES_ENV_VAR,
    TARGETS_ENV_VAR,
    EventRecorder,
    ScenarioIds,
    StorageTarget,
    SyncScenario,
    storage_targets,
)

#: The marker (a feature's tag) that runs a test once per storage target, with these fixtures.
MARKER = "sync_sdk"

_TARGETS = pytest.StashKey[list[StorageTarget]]()
_STORAGE_FIXTURE = "sync_storage"
_SCHEMES = {"memory": None, "sqlite": None, "postgresql": "psycopg", "postgres": "psycopg"}


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("sync_sdk", "sync_sdk acceptance harness")
    group.addoption(
        "--sync-sdk-storage",
        action="append",
        dest="sync_sdk_storage",
        metavar="URL",
        default=None,
        help=(
            f"storage the tests marked {MARKER} run against (repeatable): a URL, or memory, "
            f"sqlite-memory, sqlite-file. Default: ${TARGETS_ENV_VAR} (comma-separated), else "
            f"memory, sqlite-memory and sqlite-file; ${POSTGRES_ENV_VAR} is added when set."
        ),
    )


def _markers() -> dict[str, str]:
    markers = {
        MARKER: "run this test (a feature: tag it @sync_sdk) once per sync_sdk storage target",
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
    # Registered, so that the marker and the features' tags pass --strict-markers.
    for name, description in _markers().items():
        config.addinivalue_line("markers", f"{name}: {description}")


def _target_problem(target: StorageTarget) -> str | None:
    """Why ``target`` cannot be a storage target, or None: checked before any test runs, so
    that a typo fails the run at once rather than every test that uses it."""
    if target.url in ALIASES:
        return None
    scheme, sep, _ = target.url.partition("://")
    if not sep or scheme.lower() not in _SCHEMES:
        aliases = ", ".join(ALIASES)
        return (
            f"{redact_url(target.url)!r} is not a storage target: use {aliases}, "
            "or a URL memory://, sqlite://, sqlite:///PATH or postgresql://..."
        )
    needs = _SCHEMES[scheme.lower()]
    if needs and importlib.util.find_spec(needs) is None:
        return f"{redact_url(target.url)!r} needs {needs} (the postgres extra of sync_sdk)"
    return None


def pytest_sessionstart(session: pytest.Session) -> None:
    chosen = [u.strip() for u in session.config.getoption("sync_sdk_storage") or ()]
    targets = storage_targets(chosen, os.environ)
    problems = []
    for target in targets:
        problem = _target_problem(target)
        if problem:
            source = (
                "--sync-sdk-storage"
                if target.url in chosen
                else f"${POSTGRES_ENV_VAR}"
                if target.url == os.environ.get(POSTGRES_ENV_VAR, "").strip()
                else f"${TARGETS_ENV_VAR}"
            )
            problems.append(f"{source}: {problem}")
    if problems:
        raise pytest.UsageError("\n".join(problems))
    session.config.stash[_TARGETS] = targets


def _opted_in(collector: pytest.Collector, obj: object) -> bool:
    marks = getattr(obj, "pytestmark", [])
    return any(m.name == MARKER for m in marks) or collector.get_closest_marker(MARKER) is not None


@pytest.hookimpl(tryfirst=True)
def pytest_pycollect_makeitem(collector: pytest.Collector, name: str, obj: object) -> None:
    """Make each test marked ``sync_sdk`` depend on ``sync_storage``.

    A pytest-bdd scenario reaches the fixtures through its steps only while it runs, too late
    for pytest to parametrize it; declaring the dependency here lets
    :func:`pytest_generate_tests` run it once per storage target. Unmarked tests are left alone.
    """
    if not isinstance(collector, pytest.Module | pytest.Class):
        return
    if not collector.istestfunction(obj, name) or not _opted_in(collector, obj):
        return
    marks = getattr(obj, "pytestmark", [])
    if not any(m.name == "usefixtures" and _STORAGE_FIXTURE in m.args for m in marks):
        pytest.mark.usefixtures(_STORAGE_FIXTURE)(obj)


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if metafunc.definition.get_closest_marker(MARKER) is None:
        return
    if _STORAGE_FIXTURE in metafunc.fixturenames:
        targets = metafunc.config.stash[_TARGETS]
        metafunc.parametrize(
            _STORAGE_FIXTURE, targets, ids=[t.name for t in targets], indirect=True
        )


@pytest.fixture
def sync_storage(request: pytest.FixtureRequest) -> StorageTarget:
    """The storage target of this test (one run per configured target)."""
    param = getattr(request, "param", None)
    if not isinstance(param, StorageTarget):
        pytest.fail(
            f"{request.node.nodeid} uses the sync_sdk fixtures but is not marked {MARKER}: "
            f"mark it @pytest.mark.{MARKER} (a feature or scenario: tag it @{MARKER}) to run "
            "it once per storage target",
            pytrace=False,
        )
    return param


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
def sync_secret_key() -> str:
    """The hub's key for connection credentials: a new Fernet key."""
    return Fernet.generate_key().decode("ascii")


@pytest.fixture
def sync_hub(
    sync_storage_url: str, sync_ids: ScenarioIds, sync_secret_key: str
) -> Iterator[SyncHub]:
    """A fresh SyncHub on this test's storage."""
    with SyncHub(
        sync_storage_url,
        id_factory=sync_ids,
        entity_id_factory=sync_ids.entity_id,
        secret_key=sync_secret_key,
    ) as hub:
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
    sync_secret_key: str,
) -> Iterator[SyncScenario]:
    """The state of this scenario, with its event recorder connected."""
    scenario = SyncScenario.open(
        sync_hub,
        sync_storage,
        sync_storage_url,
        sync_actor,
        sync_ids,
        sync_config_input,
        secret_key=sync_secret_key,
    )
    try:
        yield scenario
    finally:
        scenario.close()


@pytest.fixture
def sync_events(sync_scenario: SyncScenario) -> EventRecorder:
    """Every event the scenario's hub published, with what storage held when it arrived."""
    return sync_scenario.events
