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
    "sync_sdk.storage",
    "sync_sdk.storage.memory",
    "sync_sdk.storage.sqlite",
]


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name: str) -> None:
    result = doctest.testmod(importlib.import_module(name), optionflags=doctest.ELLIPSIS)
    assert result.failed == 0
