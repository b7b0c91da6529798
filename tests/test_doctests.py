"""The usage examples in docstrings run."""

import doctest
import importlib

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
    "sync_sdk.testing",
    "sync_sdk.testing.harness",
    "sync_sdk.storage",
    "sync_sdk.storage.memory",
    "sync_sdk.storage.sqlite",
    "sync_sdk.cli",
]


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name: str) -> None:
    result = doctest.testmod(importlib.import_module(name), optionflags=doctest.ELLIPSIS)
    assert result.failed == 0
