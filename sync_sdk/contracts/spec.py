"""Types for an operation contract, mirroring ContractSpec's ``defineCommand``/``defineQuery``.

A contract is plain, frozen data: the SDK enforces it, the harness runs it, the docs render it::

    >>> from sync_sdk.contracts import CREATE_SYNC_CONFIG
    >>> CREATE_SYNC_CONFIG.policy.auth
    'user'

.. versionadded:: 0.1.0
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal

from attrs import field, frozen

__all__ = [
    "IO",
    "Acceptance",
    "Auth",
    "EmittedEvent",
    "Example",
    "Kind",
    "Meta",
    "OperationContract",
    "Policy",
    "Scenario",
    "SideEffects",
    "Stability",
]

Kind = Literal["command", "query"]
Auth = Literal["anonymous", "user", "admin"]
Stability = Literal["idea", "in_creation", "experimental", "beta", "stable", "deprecated"]


def _tuple(value: Any) -> tuple[Any, ...]:
    return tuple(value)


@frozen
class Meta:
    """Who and what: ``meta`` of a ContractSpec contract."""

    key: str
    version: str
    kind: Kind
    stability: Stability
    owners: tuple[str, ...] = field(converter=_tuple)
    tags: tuple[str, ...] = field(converter=_tuple)
    description: str
    goal: str
    context: str


@frozen
class IO:
    """The input and output models (attrs classes of :mod:`sync_sdk.models`)."""

    input: type
    output: type


@frozen
class Policy:
    """``policy.auth``: ``user`` means a non-anonymous actor is required."""

    auth: Auth


@frozen
class EmittedEvent:
    """One event of ``sideEffects.emits``."""

    key: str
    version: str
    when: str
    payload: type


@frozen
class SideEffects:
    emits: tuple[EmittedEvent, ...] = field(converter=_tuple)
    audit: tuple[str, ...] = field(converter=_tuple)


@frozen
class Scenario:
    """A Gherkin-lite acceptance scenario: each line is a step phrase, verbatim."""

    key: str
    given: tuple[str, ...] = field(converter=_tuple)
    when: tuple[str, ...] = field(converter=_tuple)
    then: tuple[str, ...] = field(converter=_tuple)


@frozen
class Example:
    """An example call: wire input and (part of) the wire output it must give."""

    key: str
    input: Mapping[str, Any]
    output: Mapping[str, Any]


@frozen
class Acceptance:
    scenarios: tuple[Scenario, ...] = field(converter=_tuple)
    examples: tuple[Example, ...] = field(converter=_tuple)


@frozen
class OperationContract:
    """An operation contract: ``meta``, ``io``, ``policy``, ``side_effects``, ``acceptance``.

    ``source_file`` is where ContractSpec defines it (the seed's File line).
    """

    meta: Meta
    io: IO
    policy: Policy
    side_effects: SideEffects
    acceptance: Acceptance
    source_file: str = ""

    @property
    def key(self) -> str:
        return self.meta.key

    @property
    def version(self) -> str:
        return self.meta.version

    def emitted(self, key: str) -> EmittedEvent | None:
        """The declared event named ``key``, or None when the contract does not emit it."""
        for event in self.side_effects.emits:
            if event.key == key:
                return event
        return None
