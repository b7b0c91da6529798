"""A registry of operation contracts by key and semver version.

    >>> from sync_sdk.contracts import CREATE_SYNC_CONFIG
    >>> registry = ContractRegistry([CREATE_SYNC_CONFIG])
    >>> registry.get("integration.syncConfig.create").version
    '1.0.0'

.. versionadded:: 0.1.0
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterable, Iterator

from sync_sdk.contracts.spec import OperationContract

__all__ = ["ContractRegistry", "parse_semver"]

_SEMVER = re.compile(
    r"^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)"
    r"(?:-((?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*)(?:\.(?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*))*))?"
    r"(?:\+([0-9a-zA-Z-]+(?:\.[0-9a-zA-Z-]+)*))?$"
)


def parse_semver(version: str) -> tuple[int, int, int, tuple[tuple[int, int | str], ...]] | None:
    """A sort key for a semver string (pre-releases sort before the release), or None.

    >>> parse_semver("1.2.3") > parse_semver("1.2.3-rc.1")
    True
    """
    match = _SEMVER.match(version)
    if match is None:
        return None
    major, minor, patch, pre = int(match[1]), int(match[2]), int(match[3]), match[4]
    # A release sorts after all of its pre-releases: give it an "infinite" pre-release key
    pre_key: tuple[tuple[int, int | str], ...] = (
        tuple((0, int(p)) if p.isdigit() else (1, p) for p in pre.split(".")) if pre else ((2, ""),)
    )
    return major, minor, patch, pre_key


class ContractRegistry:
    """Contracts by ``key`` + ``version``; registering the same pair twice raises ``ValueError``."""

    def __init__(self, contracts: Iterable[OperationContract] = ()) -> None:
        self._contracts: dict[tuple[str, str], OperationContract] = {}
        self._lock = threading.Lock()
        for contract in contracts:
            self.register(contract)

    def register(self, contract: OperationContract) -> OperationContract:
        """Add ``contract``; returns it, so it can be used as an expression."""
        if parse_semver(contract.version) is None:
            raise ValueError(f"{contract.key}: version {contract.version!r} is not semver")
        ident = (contract.key, contract.version)
        with self._lock:
            if ident in self._contracts:
                raise ValueError(f"contract {contract.key} v{contract.version} already registered")
            self._contracts[ident] = contract
        return contract

    def get(self, key: str, version: str | None = None) -> OperationContract:
        """The contract ``key`` at ``version``, or at its highest semver; ``KeyError`` if none."""
        if version is not None:
            try:
                return self._contracts[(key, version)]
            except KeyError:
                raise KeyError(f"no contract {key} v{version}") from None
        versions = [c for (k, _), c in self._contracts.items() if k == key]
        if not versions:
            raise KeyError(f"no contract {key}")
        return max(versions, key=lambda c: parse_semver(c.version) or (0, 0, 0, ()))

    def __iter__(self) -> Iterator[OperationContract]:
        return iter(sorted(self._contracts.values(), key=lambda c: (c.key, c.version)))

    def __len__(self) -> int:
        return len(self._contracts)

    def __contains__(self, key: object) -> bool:
        return any(k == key for k, _ in self._contracts)
