"""Shared fixtures: every backend test runs against each configured storage URL.

PostgreSQL runs when ``SYNC_SDK_TEST_POSTGRES_URL`` names a server (``bash .ci/run`` starts one);
each test gets a schema of its own there. Without it those tests skip, saying so; under
``CI=true`` they fail instead, so that CI cannot pass without the server. How many tests used
the server is said at the end of a run with ``-v``, after a failure, or when
``SYNC_SDK_TEST_POSTGRES_SUMMARY=1`` (CI sets it).
"""

from __future__ import annotations

import importlib.util
import os
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest

from sync_sdk import Actor, SyncHub
from sync_sdk.events import EventEnvelope
from sync_sdk.signals import sync_config_created

VALID_INPUT = {
    "integrationId": "int-1",
    "connectionId": "conn-1",
    "name": "Contacts Sync",
    "direction": "OUTBOUND",
    "sourceObject": "contacts",
    "targetObject": "contacts",
}

# The contract step library, for the features (tests/test_features.py opts them in), and pytester
# for the user projects of tests/test_plugin.py.
pytest_plugins = ["pytester", "sync_sdk.testing.steps"]

USER = Actor(id="user-1", org_id="org-1")
OTHER_ORG_USER = Actor(id="user-2", org_id="org-2")

BACKENDS = ["memory", "sqlite-memory", "sqlite-file", "postgres"]

POSTGRES_URL_VAR = "SYNC_SDK_TEST_POSTGRES_URL"
POSTGRES_SUMMARY_VAR = "SYNC_SDK_TEST_POSTGRES_SUMMARY"
POSTGRES_SKIP_REASON = (
    f"PostgreSQL tests need a server: set {POSTGRES_URL_VAR}=postgresql://USER:PASSWORD@"
    "127.0.0.1:5432/DB (a user allowed to create schemas), or run `bash .ci/run`, which starts one"
)


def storage_url(backend: str, tmp_path: Path) -> str:
    """The storage URL of ``backend`` for one test (for PostgreSQL: a fresh, empty schema)."""
    if backend == "memory":
        return "memory://"
    if backend == "sqlite-memory":
        return "sqlite://"
    if backend == "sqlite-file":
        return f"sqlite:///{tmp_path / 'configs.db'}"
    if backend == "postgres":
        return postgres_schema_url()
    raise ValueError(backend)


def postgres_server_url() -> str:
    """``$SYNC_SDK_TEST_POSTGRES_URL``; skips the test without it (fails it under ``CI=true``)."""
    url = os.environ.get(POSTGRES_URL_VAR, "")
    if not url:
        if os.environ.get("CI") == "true":
            pytest.fail(f"CI=true but {POSTGRES_URL_VAR} is not set: .ci/run must start PostgreSQL")
        _postgres_tests["skipped"].add(_current_test[0])
        pytest.skip(POSTGRES_SKIP_REASON)
    if importlib.util.find_spec("psycopg") is None:  # a server, but not the postgres extra
        if os.environ.get("CI") == "true":
            pytest.fail("CI=true but psycopg is not installed: install the postgres extra")
        _postgres_tests["skipped"].add(_current_test[0])
        pytest.skip("PostgreSQL tests need the postgres extra: pip install -e '.[test,postgres]'")
    _postgres_tests["used"].add(_current_test[0])
    return url


# Which tests asked for the server, for the summary at the end of the session.
_current_test = [""]
_postgres_tests: dict[str, set[str]] = {"used": set(), "skipped": set()}


@pytest.fixture(autouse=True)
def _track_test(request: pytest.FixtureRequest) -> None:
    _current_test[0] = request.node.nodeid


_schemas: list[str] = []
_admin: list[Any] = []  # one psycopg connection for the session, opened on first use


def postgres_schema_url() -> str:
    """The test server's URL, with a new empty schema first in its ``search_path``.

    The storage suite counts rows across every org, so tests cannot share tables; a schema per
    test (dropped at the end of the session) is as clean as a database per test and cheaper.
    """
    url = postgres_server_url()
    import psycopg

    if not _admin:
        _admin.append(psycopg.connect(url, autocommit=True))
    schema = f"test_{uuid.uuid4().hex[:16]}"
    _admin[0].execute(f"CREATE SCHEMA {schema}")
    _schemas.append(schema)
    option = quote(f"-csearch_path={schema}", safe="")
    return f"{url}{'&' if '?' in url else '?'}options={option}"


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    if _admin:
        for schema in _schemas:
            _admin[0].execute(f"DROP SCHEMA IF EXISTS {schema} CASCADE")
        _admin[0].close()


def verbose_or_failed(config: pytest.Config, exitstatus: int) -> bool:
    """Whether the end-of-run sections of this suite are shown: with ``-v``, or after a failure
    (a plain ``pytest -q`` stays quiet)."""
    return config.get_verbosity() >= 1 or exitstatus != 0


def pytest_terminal_summary(terminalreporter: Any, exitstatus: int, config: pytest.Config) -> None:
    """Say how many tests ran against PostgreSQL, so that a CI log shows they were not skipped."""
    used, skipped = _postgres_tests["used"], _postgres_tests["skipped"]
    if not used and not skipped:
        return
    if not verbose_or_failed(config, exitstatus) and os.environ.get(POSTGRES_SUMMARY_VAR) != "1":
        return
    counts = {"passed": 0, "failed": 0}
    for outcome in ("passed", "failed", "error"):
        for report in terminalreporter.stats.get(outcome, []):
            if getattr(report, "nodeid", None) in used and (
                outcome != "passed" or report.when == "call"
            ):
                counts["passed" if outcome == "passed" else "failed"] += 1
    terminalreporter.section("PostgreSQL backend")
    terminalreporter.write_line(
        f"tests that used the PostgreSQL server: {len(used)} ({counts['passed']} passed,"
        f" {counts['failed']} failed or errored); skipped for want of a server: {len(skipped)}"
    )
    if skipped:
        terminalreporter.write_line(POSTGRES_SKIP_REASON)


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def url(backend: str, tmp_path: Path) -> str:
    return storage_url(backend, tmp_path)


@pytest.fixture
def hub(url: str) -> Iterator[SyncHub]:
    with SyncHub(url) as hub:
        yield hub


@pytest.fixture
def events() -> Iterator[list[EventEnvelope]]:
    """Every ``integration.syncConfig.created`` event sent during the test."""
    received: list[EventEnvelope] = []

    def record(sender: object, *, event: EventEnvelope) -> None:
        received.append(event)

    with sync_config_created.connected_to(record):
        yield received


@pytest.fixture(autouse=True)
def _no_storage_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SYNC_SDK_STORAGE_URL", raising=False)


def counts(hub: SyncHub) -> tuple[int, int, int]:
    """(configs, audit records, outbox events) in the hub's storage, all orgs."""
    with hub.storage.unit_of_work(write=False) as uow:
        return uow.configs.count(), uow.audit.count(), uow.outbox.count()
