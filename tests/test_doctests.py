"""The usage examples in docstrings run."""

import doctest
import importlib
import importlib.util

import pytest

MODULES = [
    "sync_sdk",
    "sync_sdk.errors",
    "sync_sdk.models",
    "sync_sdk.validation",
    "sync_sdk.records",
    "sync_sdk.hub",
    "sync_sdk.ids",
    "sync_sdk.signals",
    "sync_sdk.contracts",
    "sync_sdk.contracts.spec",
    "sync_sdk.contracts.registry",
    "sync_sdk.contracts.linter",
    "sync_sdk.contracts.generated",
    "sync_sdk.contracts.gherkin",
    "sync_sdk.contracts.docs",
    "sync_sdk.contracts.integration",
    "sync_sdk.contracts.connection",
    "sync_sdk.contracts.sync",
    "sync_sdk.contracts.events",
    "sync_sdk.testing",
    "sync_sdk.testing.harness",
    "sync_sdk.storage",
    "sync_sdk.storage.memory",
    "sync_sdk.storage.sqlite",
    "sync_sdk.cli",
    "sync_sdk.engine",
]


# The PostgreSQL backend's module needs its extra: pip install -e '.[test,postgres]'
OPTIONAL = [
    pytest.param(
        "sync_sdk.storage.postgres",
        marks=pytest.mark.skipif(
            importlib.util.find_spec("psycopg") is None, reason="needs the postgres extra"
        ),
    ),
]


@pytest.mark.parametrize("name", MODULES + OPTIONAL)
def test_docstring_examples(name: str) -> None:
    result = doctest.testmod(importlib.import_module(name), optionflags=doctest.ELLIPSIS)
    assert result.failed == 0
