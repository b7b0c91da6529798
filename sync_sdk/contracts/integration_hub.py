"""The seed's contract under its first module name; it now lives in :mod:`sync_sdk.contracts.sync`.

Kept so that ``from sync_sdk.contracts.integration_hub import CREATE_SYNC_CONFIG`` still works.

.. versionadded:: 0.1.0
"""

from __future__ import annotations

from sync_sdk.contracts.sync import CREATE_SYNC_CONFIG, SEED_CREATE_CONTACT_SYNC_EXAMPLE

__all__ = ["CREATE_SYNC_CONFIG", "SEED_CREATE_CONTACT_SYNC_EXAMPLE"]
