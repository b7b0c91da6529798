"""Sync runs: the :class:`SyncEngine` protocol, field mappings applied to records, and
:class:`MappingEngine`, a ready engine.

An engine is the application's sync code: a callable that takes one :class:`RunContext` (the
run, its config with the field mappings, the connection's credentials, and ``is_cancelled()``)
and returns a :class:`SyncResult`, or raises. The hub's worker calls it outside any transaction
and records what it returns. Nothing here touches storage.

:func:`apply_field_mappings` turns one source record into its target record; it is pure::

    >>> from sync_sdk.models import FieldMapping, MappingType
    >>> mappings = (
    ...     FieldMapping("m1", "email", "contact.email", MappingType.TRANSFORM, True, "lowercase"),
    ...     FieldMapping("m2", "tier", "plan", MappingType.LOOKUP, False,
    ...         lookup_config={"map": {"g": "gold"}, "default": "basic"}),
    ...     FieldMapping("m3", "-", "label", MappingType.COMPUTED, False, "${first} ${last}"),
    ...     FieldMapping("m4", "-", "source", MappingType.CONSTANT, False, constant_value="crm"),
    ...     FieldMapping("m5", "address.city", "city", MappingType.DIRECT, False,
    ...         default_value="n/a"),
    ... )
    >>> apply_field_mappings({"email": "ADA@EXAMPLE.COM", "tier": "g", "first": "Ada",
    ...     "last": "Lovelace"}, mappings)
    {'contact': {'email': 'ada@example.com'}, 'plan': 'gold', 'label': 'Ada Lovelace', \
'source': 'crm', 'city': 'n/a'}
    >>> apply_field_mappings({"tier": "g"}, mappings)
    Traceback (most recent call last):
    ...
    sync_sdk.engine.RecordFailed: target field 'contact.email': required, and the record has no ...

:class:`MappingEngine` reads records from the application, maps them and hands each to the
application's writer, counting what happened::

    >>> from datetime import UTC, datetime
    >>> from sync_sdk.models import SyncConfig, SyncDirection, SyncRun, SyncStatus
    >>> config = SyncConfig("sync_1", "int-1", "conn-1", "Contacts", SyncDirection.INBOUND,
    ...     "contacts", "people", field_mappings=mappings)
    >>> run = SyncRun(id="run_1", sync_config_id="sync_1", status=SyncStatus.RUNNING,
    ...     direction=SyncDirection.INBOUND, trigger="manual", records_processed=0,
    ...     records_created=0, records_updated=0, records_failed=0,
    ...     created_at=datetime(2025, 1, 1, tzinfo=UTC))
    >>> people: dict[str, dict[str, object]] = {}
    >>> def write(person: dict[str, object], context: RunContext) -> str:
    ...     email = person["contact"]["email"]
    ...     outcome = "updated" if email in people else "created"
    ...     people[email] = person
    ...     return outcome
    >>> engine = MappingEngine([{"email": "ada@example.com"}, {"email": "ADA@example.com"},
    ...     {"first": "no email"}], write)
    >>> engine(RunContext(run=run, config=config)).to_dict()
    {'recordsProcessed': 3, 'recordsCreated': 1, 'recordsUpdated': 1, 'recordsFailed': 1, \
'errorMessage': None}

How each mapping type gives a target field its value (``source`` is the value at the dotted
``sourceField`` in the source record; None when missing):

=============  ====================================================================================
type           value
=============  ====================================================================================
DIRECT         ``source``, as it is (an object or a list copied)
TRANSFORM      ``source`` through the ``transformExpression`` (see :mod:`sync_sdk.transforms`)
CONSTANT       ``constantValue`` (``sourceField`` is not read)
LOOKUP         ``source`` looked up in ``lookupConfig``'s static map, ``{"map": {...}, "default":
               ...}`` (see :func:`sync_sdk.transforms.compile_lookup`): a value the map lacks
               gives ``"default"``, or fails the record when there is no ``"default"``
COMPUTED       the ``transformExpression`` template rendered over the source record
               (``"${first} ${last}"``; see :func:`sync_sdk.transforms.render_template`);
               missing when every value it references is missing (``sourceField`` is not read)
=============  ====================================================================================

Then, for every type: a missing value (None) takes the mapping's ``defaultValue``; a value still
missing fails the record when the mapping ``isRequired``, else the target field is None. A
DIRECT, TRANSFORM or LOOKUP mapping ignores a ``transformExpression`` or ``lookupConfig`` it does
not use, as ContractSpec does. Mappings apply in order: a later one to the same target field
wins, and ``a.b`` after ``a`` sets ``b`` inside the object at ``a``. The target record holds
exactly the mapped target fields, and never shares an object with the source record or a mapping.

A failed record is :class:`RecordFailed` (its message names the target field, never a value of
the record); a mapping that cannot be applied at all (one built by hand, past
``add_field_mapping``'s checks) is a :class:`~sync_sdk.errors.ValidationError` naming every
problem, which fails the run rather than each record.

.. versionadded:: 0.2.0
"""

from __future__ import annotations

import functools
import logging
import re
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from typing import Any, ClassVar, Protocol, runtime_checkable

import attrs
from attrs import field, frozen

from sync_sdk.errors import (
    ConfigurationTypeError,
    SyncSdkError,
    ValidationError,
    ValidationIssue,
    safe_repr,
)
from sync_sdk.models import FieldMapping, MappingType, SyncConfig, SyncRun, camel_case
from sync_sdk.transforms import (
    FieldTransform,
    TransformError,
    compile_lookup,
    compile_transform,
    get_path,
    lookup_problem,
    path_problem,
    render_template,
    set_path,
    template_problem,
)

__all__ = [
    "MappingEngine",
    "RecordFailed",
    "RunContext",
    "SyncEngine",
    "SyncResult",
    "apply_field_mappings",
]

logger = logging.getLogger(__name__)

#: What a writer may return for a record it wrote.
WRITE_OUTCOMES = ("created", "updated")


class RecordFailed(SyncSdkError, ValueError):
    """A source record that cannot be mapped: a required value missing, a value a transform or
    a lookup cannot convert, a source record that is not an object. ``field`` is the target
    field (None for the record as a whole); the cause, when there is one (a
    :class:`~sync_sdk.transforms.TransformError`), is chained as ``__cause__``.

    The message names fields and mappings, never a value of the record: it may be personal data,
    and the message goes to logs. The cause's message may show the value.

    >>> err = RecordFailed("email", "required, and the record has no value for it")
    >>> err.field, str(err)
    ('email', "target field 'email': required, and the record has no value for it")

    .. versionadded:: 0.2.0
    """

    code: ClassVar[str] = "RECORD_FAILED"
    status: ClassVar[int] = 422
    title: ClassVar[str] = "Record failed"

    def __init__(self, field: str | None, reason: str) -> None:
        self.field = field
        self.reason = reason
        message = reason if field is None else f"target field {safe_repr(field)}: {reason}"
        super().__init__(message)


# ---------------------------------------------------------------- what an engine returns

_COUNTS = ("records_processed", "records_created", "records_updated", "records_failed")


def _result_issues(result: SyncResult) -> list[ValidationIssue]:
    issues = []
    for name in _COUNTS:
        value = getattr(result, name)
        if type(value) is not int:
            kind = type(value).__name__
            issues.append(
                ValidationIssue(camel_case(name), "invalid_type", f"must be an integer, not {kind}")
            )
        elif value < 0:
            issues.append(ValidationIssue(camel_case(name), "out_of_range", "must be at least 0"))
    message = result.error_message
    if message is not None and not isinstance(message, str):
        kind = type(message).__name__
        issues.append(
            ValidationIssue("errorMessage", "invalid_type", f"must be a string or None, not {kind}")
        )
    elif message is not None and not message.strip():
        issues.append(
            ValidationIssue("errorMessage", "blank", "must not be blank (None: the run succeeded)")
        )
    return issues


@frozen(kw_only=True)
class SyncResult:
    """What an engine returns: the run's counts and, for a run that failed, why.

    A result with an ``error_message`` means the run FAILED, its counts kept; without one, the
    run COMPLETED. Counts are integers, at least 0: anything else (a bool, a negative, a float),
    or a blank ``error_message``, is a :class:`~sync_sdk.errors.ValidationError` naming each
    problem.

    >>> SyncResult(records_processed=2, records_created=2).to_dict()
    {'recordsProcessed': 2, 'recordsCreated': 2, 'recordsUpdated': 0, 'recordsFailed': 0, \
'errorMessage': None}
    >>> SyncResult(records_processed=-1, records_failed="1")
    Traceback (most recent call last):
    ...
    sync_sdk.errors.ValidationError: 2 validation issue(s): recordsProcessed: must be at least 0 ...

    .. versionadded:: 0.2.0
    """

    records_processed: int = 0
    records_created: int = 0
    records_updated: int = 0
    records_failed: int = 0
    error_message: str | None = None

    def __attrs_post_init__(self) -> None:
        issues = _result_issues(self)
        if issues:
            raise ValidationError(issues)

    def to_dict(self) -> dict[str, Any]:
        """The wire (camelCase) dict of this result (see the class's example)."""
        return {camel_case(a.name): getattr(self, a.name) for a in attrs.fields(SyncResult)}


# ---------------------------------------------------------------- what an engine is given


def _never_cancelled() -> bool:
    return False


@frozen(kw_only=True, eq=False)
class RunContext:
    """What an engine is given for one run: ``run`` (the :class:`~sync_sdk.models.SyncRun`),
    ``config`` (its :class:`~sync_sdk.models.SyncConfig`, with ``field_mappings``),
    ``credentials`` (the connection's decrypted credentials, or None; never in the ``repr``)
    and :meth:`is_cancelled`.

    The hub builds it; an application builds one to test its engine (``is_cancelled`` defaults
    to never). A wrong type is a :class:`~sync_sdk.errors.ConfigurationTypeError`.

    >>> from sync_sdk.models import SyncConfig, SyncDirection
    >>> config = SyncConfig("sync_1", "i", "c", "n", SyncDirection.INBOUND, "a", "b")
    >>> RunContext(run=None, config=config)
    Traceback (most recent call last):
    ...
    sync_sdk.errors.ConfigurationTypeError: RunContext: run must be a SyncRun, not NoneType

    .. versionadded:: 0.2.0
    """

    run: SyncRun
    config: SyncConfig
    credentials: dict[str, Any] | None = field(default=None, repr=False)
    _is_cancelled: Callable[[], bool] = field(default=_never_cancelled, repr=False)

    def __attrs_post_init__(self) -> None:
        problems: list[str] = []
        if not isinstance(self.run, SyncRun):
            problems.append(f"run must be a SyncRun, not {type(self.run).__name__}")
        if not isinstance(self.config, SyncConfig):
            problems.append(f"config must be a SyncConfig, not {type(self.config).__name__}")
        if self.credentials is not None and not isinstance(self.credentials, dict):
            kind = type(self.credentials).__name__
            problems.append(f"credentials must be a dict or None, not {kind}")
        if not callable(self._is_cancelled):
            kind = type(self._is_cancelled).__name__
            problems.append(f"is_cancelled must be a callable, not {kind}")
        if problems:
            raise ConfigurationTypeError(f"RunContext: {'; '.join(problems)}")

    def is_cancelled(self) -> bool:
        """Whether the run has been cancelled: an engine checks it between records, and stops.

        >>> from datetime import UTC, datetime
        >>> from sync_sdk.models import SyncConfig, SyncDirection, SyncRun, SyncStatus
        >>> config = SyncConfig("sync_1", "i", "c", "n", SyncDirection.INBOUND, "a", "b")
        >>> run = SyncRun(id="run_1", sync_config_id="sync_1", status=SyncStatus.RUNNING,
        ...     direction=SyncDirection.INBOUND, trigger="manual", records_processed=0,
        ...     records_created=0, records_updated=0, records_failed=0,
        ...     created_at=datetime(2025, 1, 1, tzinfo=UTC))
        >>> flags = iter([False, True])
        >>> context = RunContext(run=run, config=config, credentials={"token": "s3cr3t"},
        ...     is_cancelled=lambda: next(flags))
        >>> context.is_cancelled(), context.is_cancelled(), "s3cr3t" in repr(context)
        (False, True, False)
        """
        return bool(self._is_cancelled())


@runtime_checkable
class SyncEngine(Protocol):
    """The application's sync code: called with a :class:`RunContext`, it returns a
    :class:`SyncResult`, or raises (the run then fails with the exception's type and text).

    Any callable of one argument is one, a plain function included (``isinstance`` checks only
    that the object is callable)::

        >>> def engine(context: RunContext) -> SyncResult:
        ...     return SyncResult()
        >>> isinstance(engine, SyncEngine), isinstance(MappingEngine([], print), SyncEngine)
        (True, True)

    .. versionadded:: 0.2.0
    """

    def __call__(self, context: RunContext) -> SyncResult: ...


# ---------------------------------------------------------------- field mappings

#: The compiled transforms of the expressions seen: a run maps many records with few mappings.
_transform: Callable[[str], FieldTransform] = functools.lru_cache(maxsize=1024)(compile_transform)

# A valid template's references, as its parser finds them: each "${" up to the next "}"
_REFERENCE = re.compile(r"\$\{([^}]*)\}")

_Value = Callable[[Mapping[str, Any]], object]


def _source(path: str) -> _Value:
    return lambda record: get_path(record, path)


def _transformed(path: str, transform: Callable[[object], object]) -> _Value:
    return lambda record: transform(get_path(record, path))


def _constant(value: object) -> _Value:
    return lambda record: value


def _computed(template: str) -> _Value:
    paths = _REFERENCE.findall(template)

    def compute(record: Mapping[str, Any]) -> object:
        if all(get_path(record, path) is None for path in paths):
            return None
        return render_template(template, record)

    return compute


@frozen
class _Step:
    """One mapping, compiled: how the target field gets its value from a source record."""

    mapping: FieldMapping
    value: _Value
    # for RecordFailed's message: what failed, in the mapping's terms, never the value
    what: str


def _step(mapping: FieldMapping, where: str, issues: list[ValidationIssue]) -> _Step | None:
    """``mapping`` compiled, or None with its problems added to ``issues``."""
    before = len(issues)
    try:
        kind = MappingType(mapping.mapping_type)
    except ValueError:
        issues.append(
            ValidationIssue(
                f"{where}.mappingType",
                "invalid_enum",
                f"must be one of {', '.join(MappingType)}, not {safe_repr(mapping.mapping_type)}",
            )
        )
        kind = None
    for name, path in (
        ("sourceField", mapping.source_field),
        ("targetField", mapping.target_field),
    ):
        reads_source = kind not in (MappingType.CONSTANT, MappingType.COMPUTED)
        problem = path_problem(path) if name == "targetField" or reads_source else None
        if problem is not None:
            issues.append(ValidationIssue(f"{where}.{name}", "invalid_path", problem))
    expression = mapping.transform_expression
    value: _Value | None = None
    what = f"{kind} mapping from {safe_repr(mapping.source_field)}"
    if kind in (MappingType.TRANSFORM, MappingType.COMPUTED) and expression is None:
        issues.append(
            ValidationIssue(
                f"{where}.transformExpression", "required", f"a {kind} mapping needs it"
            )
        )
    elif kind is MappingType.TRANSFORM:
        try:
            value = _transformed(mapping.source_field, _transform(expression))  # type: ignore[arg-type]
        except TransformError as exc:
            issues.append(
                ValidationIssue(f"{where}.transformExpression", "invalid_expression", str(exc))
            )
        what = f"transform {safe_repr(expression)} of {safe_repr(mapping.source_field)}"
    elif kind is MappingType.COMPUTED:
        problem = template_problem(expression)
        if problem is not None:
            issues.append(
                ValidationIssue(f"{where}.transformExpression", "invalid_expression", problem)
            )
        else:
            value = _computed(expression)  # type: ignore[arg-type]
        what = f"template {safe_repr(expression)}"
    elif kind is MappingType.LOOKUP:
        problem = lookup_problem(mapping.lookup_config)
        if mapping.lookup_config is None:
            issues.append(
                ValidationIssue(f"{where}.lookupConfig", "required", "a LOOKUP mapping needs it")
            )
        elif problem is not None:
            issues.append(ValidationIssue(f"{where}.lookupConfig", "invalid_lookup", problem))
        else:
            value = _transformed(mapping.source_field, compile_lookup(mapping.lookup_config))
        what = f"lookup of {safe_repr(mapping.source_field)}"
    elif kind is MappingType.CONSTANT:
        value = _constant(mapping.constant_value)
        what = "constantValue"
    elif kind is MappingType.DIRECT:
        value = _source(mapping.source_field)
    if len(issues) > before or value is None:
        return None
    return _Step(mapping, value, what)


def _plan(mappings: Iterable[FieldMapping]) -> tuple[_Step, ...]:
    """The mappings compiled, in order; a ValidationError naming every problem otherwise."""
    if isinstance(mappings, str | bytes | Mapping) or not isinstance(mappings, Iterable):
        raise ValidationError(
            [
                ValidationIssue(
                    "fieldMappings",
                    "invalid_type",
                    f"must be a sequence of FieldMapping, not {type(mappings).__name__}",
                )
            ]
        )
    issues: list[ValidationIssue] = []
    steps = []
    for index, mapping in enumerate(mappings):
        where = f"fieldMappings[{index}]"
        if not isinstance(mapping, FieldMapping):
            kind = type(mapping).__name__
            issues.append(
                ValidationIssue(where, "invalid_type", f"must be a FieldMapping, not {kind}")
            )
            continue
        step = _step(mapping, where, issues)
        if step is not None:
            steps.append(step)
    if issues:
        raise ValidationError(issues)
    return tuple(steps)


def _fresh(value: object) -> object:
    """``value`` with its objects and lists copied: the target never shares one with the source
    record or a mapping (a writer may change it; ``a.b`` after ``a`` sets inside it)."""
    if isinstance(value, dict):
        return {key: _fresh(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_fresh(item) for item in value]
    return value


def _kind(value: object) -> str:
    return "null" if value is None else type(value).__name__


def _apply(steps: Sequence[_Step], record: object) -> dict[str, Any]:
    if not isinstance(record, Mapping):
        raise RecordFailed(None, f"the source record is a {_kind(record)}, not an object")
    target: dict[str, Any] = {}
    for step in steps:
        mapping = step.mapping
        try:
            value = step.value(record)
        except TransformError as exc:
            raise RecordFailed(mapping.target_field, f"the {step.what} failed") from exc
        if value is None:
            value = mapping.default_value
        if value is None and mapping.is_required:
            raise RecordFailed(
                mapping.target_field,
                f"required, and the record has no value for it ({step.what}; no defaultValue)",
            )
        try:
            set_path(target, mapping.target_field, _fresh(value))
        except TransformError as exc:
            raise RecordFailed(
                mapping.target_field,
                "an earlier mapping set a value that is not an object on its path",
            ) from exc
        except RecursionError as exc:
            raise RecordFailed(mapping.target_field, "the value is nested too deeply") from exc
    return target


def apply_field_mappings(
    record: Mapping[str, Any], mappings: Iterable[FieldMapping]
) -> dict[str, Any]:
    """The target record of ``record`` under ``mappings`` (as in ``SyncConfig.field_mappings``):
    a new dict holding only the mapped target fields; ``record`` is not changed.

    Raises :class:`RecordFailed` when the record cannot be mapped (see the module's table), and
    :class:`~sync_sdk.errors.ValidationError`, naming every problem and its path
    (``fieldMappings[0].transformExpression``), for mappings that cannot be applied at all.

    >>> from sync_sdk.models import FieldMapping, MappingType
    >>> apply_field_mappings({"n": " 42 ", "other": 1},
    ...     [FieldMapping("m1", "n", "count", MappingType.TRANSFORM, True, "number")])
    {'count': 42}
    >>> apply_field_mappings({"n": "forty"},
    ...     [FieldMapping("m1", "n", "count", MappingType.TRANSFORM, True, "number")])
    Traceback (most recent call last):
    ...
    sync_sdk.engine.RecordFailed: target field 'count': the transform 'number' of 'n' failed

    .. versionadded:: 0.2.0
    """
    return _apply(_plan(mappings), record)


# ---------------------------------------------------------------- the reference engine

Records = Iterable[Mapping[str, Any]]
Reader = Records | Callable[[RunContext], Records]
Writer = Callable[[dict[str, Any], RunContext], str]


class MappingEngine:
    """A ready :class:`SyncEngine`: reads source records, maps each with the run's
    ``config.field_mappings`` and hands it to ``write``.

    ``read`` is an iterable of source records, or a callable that takes the
    :class:`RunContext` and returns one (give a callable when the engine runs more than once:
    an iterator is used up by the first run). ``write(record, context)`` receives each target
    record and returns ``"created"`` or ``"updated"``.

    Counts come from what happened: every record taken from the source is processed, then
    created, updated, or failed. A record that cannot be mapped (:class:`RecordFailed`) or whose
    ``write`` raises is failed, logged at WARNING on the ``sync_sdk.engine`` logger (the run,
    the record's position and why, never its values), and the run goes on. ``is_cancelled()``
    is checked before each record: a cancelled run stops there, with the counts so far. A writer
    that returns anything else than the two outcomes stops the run: that record is failed, and
    the result has an ``error_message`` (the run FAILED). An exception from ``read``, or from
    the source while records are taken, propagates: the run fails. Mappings that cannot be
    applied at all raise :class:`~sync_sdk.errors.ValidationError` before any record is read.

    See the module's docstring for an example.

    .. versionadded:: 0.2.0
    """

    __slots__ = ("_read", "_write")

    def __init__(self, read: Reader, write: Writer) -> None:
        if not callable(read) and not isinstance(read, Iterable):
            raise ConfigurationTypeError(
                f"MappingEngine: read must be an iterable of records or a callable returning one,"
                f" not {type(read).__name__}"
            )
        if not callable(write):
            raise ConfigurationTypeError(
                f"MappingEngine: write must be a callable, not {type(write).__name__}"
            )
        self._read = read
        self._write = write

    def __repr__(self) -> str:
        return f"MappingEngine(read={self._read!r}, write={self._write!r})"

    def _records(self, context: RunContext) -> Iterator[object]:
        source = self._read(context) if callable(self._read) else self._read
        try:
            return iter(source)
        except TypeError:
            raise ConfigurationTypeError(
                f"MappingEngine: read returned a {type(source).__name__}, not an iterable of"
                " records"
            ) from None

    def __call__(self, context: RunContext) -> SyncResult:
        steps = _plan(context.config.field_mappings)
        records = self._records(context)
        processed = created = updated = failed = 0
        try:
            while not context.is_cancelled():
                try:
                    record = next(records)
                except StopIteration:
                    break
                position = processed
                processed += 1
                try:
                    outcome = self._write(_apply(steps, record), context)
                except RecordFailed as exc:
                    failed += 1
                    logger.warning(
                        "sync run %s: record %d failed: %s", context.run.id, position, exc
                    )
                    continue
                except Exception as exc:
                    failed += 1
                    # the type only: a writer's message may quote the record's values
                    logger.warning(
                        "sync run %s: record %d failed: the writer raised %s",
                        context.run.id,
                        position,
                        type(exc).__name__,
                    )
                    continue
                if outcome == "created":
                    created += 1
                elif outcome == "updated":
                    updated += 1
                else:
                    failed += 1
                    return SyncResult(
                        records_processed=processed,
                        records_created=created,
                        records_updated=updated,
                        records_failed=failed,
                        error_message=(
                            f"the writer returned {safe_repr(outcome, 40)} for record {position};"
                            ' it must return "created" or "updated"'
                        ),
                    )
        finally:
            close = getattr(records, "close", None)
            if callable(close):  # a generator stopped early releases what it holds
                close()
        return SyncResult(
            records_processed=processed,
            records_created=created,
            records_updated=updated,
            records_failed=failed,
        )
