"""The features, run by the sync_sdk.testing plugin against every configured storage target.

features/ holds the contracts' generated scenarios and examples (``sync-sdk features``);
tests/features/ holds sync_sdk's own scenarios beyond the contract.
"""

from pytest_bdd import scenarios

scenarios("../features", "features")
