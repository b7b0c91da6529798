"""The contract linter: what ContractSpec never checks, with the exact path of every problem.

ContractSpec renders a contract's examples into docs without ever checking them against the
contract's own models (its seed example does not conform). :func:`lint` does, with the SDK's own
validation, and checks the rest of the contract's shape too::

    >>> import attrs
    >>> from sync_sdk.contracts import CREATE_SYNC_CONFIG, SEED_CREATE_CONTACT_SYNC_EXAMPLE
    >>> lint(CREATE_SYNC_CONFIG)
    []
    >>> seed = attrs.evolve(CREATE_SYNC_CONFIG, acceptance=attrs.evolve(
    ...     CREATE_SYNC_CONFIG.acceptance, examples=[SEED_CREATE_CONTACT_SYNC_EXAMPLE]))
    >>> print(lint(seed)[-1])
    acceptance.examples[create-contact-sync].output.status: is not a field of SyncConfig ...

``sync-sdk lint`` prints the findings of every registered contract and exits 1 when there are any.

.. versionadded:: 0.1.0
"""

from __future__ import annotations

import enum
import re
import types
import typing
from collections.abc import Iterator, Mapping, Sequence
from datetime import datetime
from typing import Any, get_args, get_origin

import attrs
from attrs import frozen

from sync_sdk.contracts.registry import parse_semver
from sync_sdk.contracts.spec import Auth, Example, Kind, OperationContract, Scenario, Stability
from sync_sdk.errors import ValidationError
from sync_sdk.models import camel_case
from sync_sdk.validation import validator_for

__all__ = ["Finding", "lint"]

_KINDS: tuple[str, ...] = get_args(Kind)
_STABILITIES: tuple[str, ...] = get_args(Stability)
_AUTH: tuple[str, ...] = get_args(Auth)
_KEY = re.compile(r"^[A-Za-z][A-Za-z0-9_-]*(\.[A-Za-z][A-Za-z0-9_-]*)+$")


@frozen
class Finding:
    """One problem in a contract: where (``path``, into the contract as data) and what.

    >>> print(Finding("meta.version", "must be semver, such as 1.0.0; got '1.0'"))
    meta.version: must be semver, such as 1.0.0; got '1.0'
    """

    path: str
    message: str

    def __str__(self) -> str:
        return f"{self.path}: {self.message}"


def lint(contract: OperationContract) -> list[Finding]:
    """Every problem found in ``contract``, in the contract's own order; ``[]`` when clean.

    Checks: meta (dotted key, semver version, kind, stability, owners starting with ``@``,
    non-blank tags, description, goal and context); io models; ``policy.auth``; every emitted
    event (semver version, a payload model, non-blank ``when``) and every audit key (a dotted
    name, listed once); acceptance scenarios (unique keys, non-empty given/when/then of
    non-blank, single-line steps) and examples (unique keys, inputs valid under the input model's
    own validation, ``from_dict``, or the validator compiled from its declared fields when it has
    none, see :func:`~sync_sdk.validation.validator_for`; outputs using only fields of the output
    model, with values of the right type).

        >>> from sync_sdk.contracts import CREATE_SYNC_CONFIG
        >>> lint(CREATE_SYNC_CONFIG)
        []
    """
    return [*_meta(contract), *_io(contract), *_side_effects(contract), *_acceptance(contract)]


# -- meta, io, policy, side effects -------------------------------------------------------------


def _blank(value: object) -> bool:
    return type(value) is not str or not value.strip()


def _meta(contract: OperationContract) -> Iterator[Finding]:
    meta = contract.meta
    if type(meta.key) is not str or not _KEY.match(meta.key):
        yield Finding(
            "meta.key",
            f"must be dot-separated names, such as integration.syncConfig.create; got {meta.key!r}",
        )
    if type(meta.version) is not str or parse_semver(meta.version) is None:
        yield Finding("meta.version", f"must be semver, such as 1.0.0; got {meta.version!r}")
    if meta.kind not in _KINDS:
        yield Finding("meta.kind", f"must be one of {', '.join(_KINDS)}; got {meta.kind!r}")
    if meta.stability not in _STABILITIES:
        yield Finding(
            "meta.stability",
            f"must be one of {', '.join(_STABILITIES)}; got {meta.stability!r}",
        )
    if not meta.owners:
        yield Finding("meta.owners", "must name at least one owner, such as @team.name")
    for i, owner in enumerate(meta.owners):
        if type(owner) is not str or not owner.startswith("@") or _blank(owner[1:]):
            yield Finding(
                f"meta.owners[{i}]", f"must start with '@', such as @team.name; got {owner!r}"
            )
    for i, tag in enumerate(meta.tags):
        if _blank(tag):
            yield Finding(f"meta.tags[{i}]", "must not be blank")
    for name in ("description", "goal", "context"):
        if _blank(getattr(meta, name)):
            yield Finding(f"meta.{name}", "must not be blank")
    if contract.policy.auth not in _AUTH:
        yield Finding(
            "policy.auth", f"must be one of {', '.join(_AUTH)}; got {contract.policy.auth!r}"
        )


def _io(contract: OperationContract) -> Iterator[Finding]:
    for name in ("input", "output"):
        model = getattr(contract.io, name)
        if not attrs.has(model):
            yield Finding(f"io.{name}", f"must be a model (an attrs class); got {model!r}")


def _side_effects(contract: OperationContract) -> Iterator[Finding]:
    seen: set[str] = set()
    for event in contract.side_effects.emits:
        path = f"side_effects.emits[{event.key}]"
        if _blank(event.key):
            yield Finding(path + ".key", "must not be blank")
        elif event.key in seen:
            yield Finding(path, "is declared twice")
        seen.add(event.key)
        if type(event.version) is not str or parse_semver(event.version) is None:
            yield Finding(path + ".version", f"must be semver; got {event.version!r}")
        if not attrs.has(event.payload):
            yield Finding(path + ".payload", f"has no payload model; got {event.payload!r}")
        if _blank(event.when):
            yield Finding(path + ".when", "must say when the event is emitted")
    # An audit key names the audited action: often an emitted event's key, but not always
    # (integration.sync.trigger audits "integration.sync.triggered" and emits another key)
    audited: set[str] = set()
    for key in contract.side_effects.audit:
        path = f"side_effects.audit[{key}]"
        if type(key) is not str or not _KEY.match(key):
            yield Finding(
                path, "must be dot-separated names, such as integration.syncConfig.created"
            )
        elif key in audited:
            yield Finding(path, "is listed twice")
        audited.add(key)


# -- acceptance -------------------------------------------------------------------------------


def _acceptance(contract: OperationContract) -> Iterator[Finding]:
    # Scenarios and examples become Scenarios of one feature file, named by key: keys must be
    # unique across both, or one would silently replace the other.
    seen: set[str] = set()
    items: list[tuple[str, Scenario | Example]] = [
        *(("scenarios", s) for s in contract.acceptance.scenarios),
        *(("examples", e) for e in contract.acceptance.examples),
    ]
    for kind, item in items:
        path = f"acceptance.{kind}[{item.key}]"
        if _blank(item.key):
            yield Finding(path + ".key", "must not be blank")
        elif item.key in seen:
            yield Finding(path, "has the key of another scenario or example")
        seen.add(item.key)
        if isinstance(item, Scenario):
            yield from _scenario(item, path)
        else:
            yield from _example_input(contract.io.input, item.input, path + ".input")
            yield from _example_output(contract.io.output, item.output, path + ".output")


def _scenario(scenario: Scenario, path: str) -> Iterator[Finding]:
    for part in ("given", "when", "then"):
        lines = getattr(scenario, part)
        if not lines:
            yield Finding(f"{path}.{part}", "must have at least one step")
        for i, line in enumerate(lines):
            if _blank(line):
                yield Finding(f"{path}.{part}[{i}]", "must not be blank")
            elif "\n" in line or "\r" in line:
                yield Finding(f"{path}.{part}[{i}]", "must be one line (a Gherkin step)")


def _example_input(model: type, value: object, path: str) -> Iterator[Finding]:
    from_dict = getattr(model, "from_dict", None)
    if from_dict is None:  # a model of the user's: the validator of its declared fields
        try:
            from_dict = validator_for(model)
        except TypeError as exc:
            yield Finding(path, f"cannot be checked: {exc}")
            return
    try:
        from_dict(value)  # the SDK's own validation, exactly as a call would run it
    except ValidationError as err:
        for issue in err.issues:
            yield Finding(_join(path, issue.path), f"{issue.message} [{issue.code}]")
    except Exception as exc:
        yield Finding(path, f"does not conform to {model.__name__}: {exc}")


def _example_output(model: type, value: object, path: str) -> Iterator[Finding]:
    # An example may show part of the output (the harness compares the keys it lists), so
    # missing top-level fields are fine; every listed key must be a field, of the right type.
    yield from _check_object(model, value, path, partial=True)


# -- values against models ----------------------------------------------------------------------


def _join(path: str, key: str) -> str:
    return f"{path}.{key}" if key else path


def _wire_fields(model: type) -> dict[str, tuple[Any, bool]]:
    """wire name -> (resolved annotation, required) for each attribute of ``model``."""
    hints = typing.get_type_hints(model)
    return {
        camel_case(a.name): (hints[a.name], a.default is attrs.NOTHING) for a in attrs.fields(model)
    }


def _json_type(value: object) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, Mapping):
        return "an object"
    if isinstance(value, Sequence):
        return "a list"
    return type(value).__name__


def _check_object(model: type, value: object, path: str, *, partial: bool) -> Iterator[Finding]:
    if not isinstance(value, Mapping):
        yield Finding(path, f"must be an object ({model.__name__}), not {_json_type(value)}")
        return
    fields = _wire_fields(model)
    for key, item in value.items():
        if key not in fields:
            yield Finding(
                _join(path, str(key)),
                f"is not a field of {model.__name__} (fields: {', '.join(fields)})",
            )
            continue
        yield from _check_value(fields[key][0], item, _join(path, key))
    if not partial:
        for key, (_, required) in fields.items():
            if required and key not in value:
                yield Finding(_join(path, key), f"is required in {model.__name__}")


def _check_value(annotation: Any, value: object, path: str) -> Iterator[Finding]:
    origin, args = get_origin(annotation), get_args(annotation)
    if origin in (types.UnionType, typing.Union):
        if value is None and type(None) in args:
            return
        options = [a for a in args if a is not type(None)]
        problems = [list(_check_value(option, value, path)) for option in options]
        if all(problems):
            yield problems[0][0]
        return
    if origin in (tuple, list):
        if not isinstance(value, list):
            yield Finding(path, f"must be a list, not {_json_type(value)}")
            return
        for i, item in enumerate(value):
            yield from _check_value(args[0], item, f"{path}[{i}]")
        return
    expected = _expected(annotation, value)
    if expected is not None:
        yield Finding(path, f"must be {expected}, not {_json_type(value)}")
    elif attrs.has(annotation):
        yield from _check_object(annotation, value, path, partial=False)


def _expected(annotation: Any, value: object) -> str | None:
    """What ``value`` should be to fit ``annotation`` (a scalar type), or None when it fits."""
    if annotation is bool:
        return None if type(value) is bool else "a boolean"
    if annotation is str:
        return None if type(value) is str else "a string"
    if annotation is int:
        return None if type(value) is int else "an integer"
    if annotation is float:
        ok = isinstance(value, int | float) and not isinstance(value, bool)
        return None if ok else "a number"
    if isinstance(annotation, type) and issubclass(annotation, enum.Enum):
        names = [str(m.value) for m in annotation]
        return None if value in names else f"one of {', '.join(names)}"
    if annotation is datetime:
        try:
            datetime.fromisoformat(value)  # type: ignore[arg-type]
        except (TypeError, ValueError):
            return "an ISO 8601 date-time string"
        return None
    return None
