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
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import Any

from attrs import frozen

from sync_sdk.contracts.spec import OperationContract

__all__ = ["ContractRegistry", "Operation", "parse_semver"]

#: A handler: ``handler(context, command)`` runs the operation inside the pipeline's unit of
#: work (see :class:`sync_sdk.operations.Context`) and returns its output.
Handler = Callable[[Any, Any], Any]


@frozen(eq=False)
class Operation:
    """A contract the hub can run: the contract, its handler, and the entity tables (see
    :mod:`sync_sdk.storage.tables`) the handler keeps its records in."""

    contract: OperationContract
    handler: Handler
    tables: tuple[Any, ...] = ()


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
        self._operations: dict[tuple[str, str], Operation] = {}
        self._lock = threading.Lock()
        self._revision = 0  # changes with every registration, so that caches of it can tell
        for contract in contracts:
            self.register(contract)

    def register(
        self,
        contract: OperationContract,
        handler: Handler | None = None,
        *,
        tables: Sequence[Any] = (),
    ) -> OperationContract:
        """Add ``contract``, and with a ``handler`` make it an operation that
        :meth:`SyncHub.execute <sync_sdk.SyncHub.execute>` runs (``tables``: the entity
        tables it writes). Returns the contract, so it can be used as an expression."""
        if parse_semver(contract.version) is None:
            raise ValueError(f"{contract.key}: version {contract.version!r} is not semver")
        if handler is not None and not callable(handler):
            raise TypeError(f"handler must be callable, not {type(handler).__name__}")
        ident = (contract.key, contract.version)
        with self._lock:
            if ident in self._contracts:
                raise ValueError(f"contract {contract.key} v{contract.version} already registered")
            self._contracts[ident] = contract
            if handler is not None:
                self._operations[ident] = Operation(contract, handler, tuple(tables))
            self._revision += 1
        return contract

    def unregister(self, key: str, version: str) -> OperationContract:
        """Remove the contract ``key`` v``version`` and its handler (``KeyError`` if it is not
        registered); returns it. For tests of an application's own operations::

            registry.register(ADD_NOTE, add_note, tables=(NOTES,))
            try:
                ...
            finally:
                registry.unregister(ADD_NOTE.key, ADD_NOTE.version)

        .. versionadded:: 0.2.0
        """
        with self._lock:
            try:
                contract = self._contracts.pop((key, version))
            except KeyError:
                raise KeyError(f"no contract {key} v{version}") from None
            self._operations.pop((key, version), None)
            self._revision += 1
        return contract

    @property
    def revision(self) -> int:
        """A number that changes whenever a contract is registered, bound or unregistered."""
        return self._revision

    def bind(
        self, contract: OperationContract, handler: Handler, *, tables: Sequence[Any] = ()
    ) -> None:
        """Give the registered ``contract`` its ``handler`` (replacing any it had)."""
        ident = (contract.key, contract.version)
        with self._lock:
            if self._contracts.get(ident) is not contract:
                raise ValueError(f"contract {contract.key} v{contract.version} is not registered")
            self._operations[ident] = Operation(contract, handler, tuple(tables))
            self._revision += 1

    def operation(self, key: str, version: str | None = None) -> Operation:
        """The operation of :meth:`get`'s contract; ``KeyError`` when it has no handler."""
        contract = self.get(key, version)
        try:
            return self._operations[(contract.key, contract.version)]
        except KeyError:
            raise KeyError(f"contract {key} v{contract.version} has no handler") from None

    def operations(self) -> list[Operation]:
        """Every operation (a contract with a handler), by key and version."""
        with self._lock:
            found = list(self._operations.values())
        return sorted(found, key=lambda o: (o.contract.key, o.contract.version))

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
