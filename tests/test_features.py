"""The features, run by the sync_sdk.testing plugin against every configured storage target.

features/ holds the contracts' generated scenarios and examples (``sync-sdk features``);
tests/features/ holds sync_sdk's own scenarios beyond the contract. The step library is loaded
by tests/conftest.py; the marker below opts every scenario here into the storage targets.
"""

import pytest
from pytest_bdd import scenarios

pytestmark = pytest.mark.sync_sdk

scenarios("../features", "features")
