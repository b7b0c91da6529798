"""Strict validation of ``integration.syncConfig.create`` input.

Where ContractSpec's schema parsing is lax (unknown keys silently stripped, whitespace accepted as
a name, cron never checked), this module is strict, and reports every problem at once::

    >>> try:
    ...     validate_create_input({"name": " ", "sourceConnectionId": "conn-1"})
    ... except ValidationError as err:
    ...     sorted((i.path, i.code) for i in err.issues)[:3]
    [('connectionId', 'required'), ('direction', 'required'), ('integrationId', 'required')]

.. versionadded:: 0.1.0
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import datetime
from functools import lru_cache

from cronsim import CronSim, CronSimError

from sync_sdk.errors import ValidationError, ValidationIssue
from sync_sdk.models import CreateSyncConfigInput, SyncDirection

__all__ = [
    "MAX_STRING_LENGTH",
    "InputFields",
    "create_input_fields",
    "cron_problem",
    "validate_create_input",
]

MAX_STRING_LENGTH = 1024

_REQUIRED = ("integrationId", "connectionId", "name", "direction", "sourceObject", "targetObject")
_KNOWN = frozenset((*_REQUIRED, "scheduleEnabled", "scheduleCron"))
_UNKNOWN_FIELD = (
    f"is not a field of CreateSyncConfigInput (known fields: {', '.join(sorted(_KNOWN))})"
)
_DIRECTIONS = {d.value: d for d in SyncDirection}
_DIRECTION_LIST = ", ".join(_DIRECTIONS)

_MACROS = {
    "@yearly": "0 0 1 1 *",
    "@annually": "0 0 1 1 *",
    "@monthly": "0 0 1 * *",
    "@weekly": "0 0 * * 0",
    "@daily": "0 0 * * *",
    "@midnight": "0 0 * * *",
    "@hourly": "0 * * * *",
}
# Quartz/Jenkins extensions that standard (POSIX/Vixie) cron does not have
_QUARTZ_TOKENS = ("?", "L", "W", "#", "H")
_NAMES = re.compile(r"JAN|FEB|MAR|APR|MAY|JUN|JUL|AUG|SEP|OCT|NOV|DEC|SUN|MON|TUE|WED|THU|FRI|SAT")
_CRON_EPOCH = datetime(2000, 1, 1)


def _string_problems(path: str, value: object, issues: list[ValidationIssue]) -> bool:
    """Append the problems of a string field; True when the value is a usable string."""
    if type(value) is not str:
        issues.append(
            ValidationIssue(path, "invalid_type", f"must be a string, not {_type_name(value)}")
        )
        return False
    ok = True
    if not value or value.isspace():
        issues.append(ValidationIssue(path, "blank", "must not be blank"))
        ok = False
    if len(value) > MAX_STRING_LENGTH:
        issues.append(
            ValidationIssue(
                path,
                "too_long",
                f"must be at most {MAX_STRING_LENGTH} characters, got {len(value)}",
            )
        )
        ok = False
    if "\x00" in value:
        issues.append(
            ValidationIssue(path, "invalid_characters", "must not contain NUL characters")
        )
        ok = False
    return ok


def _text(path: str, value: object, issues: list[ValidationIssue]) -> str | None:
    """A required string field: the value when usable, else None with its issues appended."""
    if (
        type(value) is str
        and value
        and len(value) <= MAX_STRING_LENGTH
        and not value.isspace()
        and "\x00" not in value
    ):
        return value
    if value is None:
        issues.append(ValidationIssue(path, "required", "is required"))
    else:
        _string_problems(path, value, issues)
    return None


def _direction_problem(value: object, issues: list[ValidationIssue]) -> None:
    if value is None:
        issues.append(ValidationIssue("direction", "required", "is required"))
    elif type(value) is str:
        issues.append(
            ValidationIssue(
                "direction", "invalid_enum", f"must be one of {_DIRECTION_LIST}, got {value!r}"
            )
        )
    else:
        issues.append(
            ValidationIssue(
                "direction",
                "invalid_type",
                f"must be a string, one of {_DIRECTION_LIST}; got {_type_name(value)}",
            )
        )


def _type_name(value: object) -> str:
    return "null" if value is None else type(value).__name__


@lru_cache(maxsize=4096)
def cron_problem(expression: str) -> str | None:
    """Why ``expression`` is not a standard 5-field cron expression, or None when it is.

    >>> cron_problem("*/15 9-17 * * MON-FRI") is None
    True
    >>> cron_problem("0 0 12 * * ?")[:12]
    'has 6 fields'
    """
    text = expression.strip()
    if text.startswith("@"):
        if text.lower() in _MACROS:
            text = _MACROS[text.lower()]
        else:
            return f"unknown macro {text!r}; use one of {', '.join(_MACROS)}"
    fields = text.split()
    if len(fields) != 5:
        return (
            f"has {len(fields)} field{'s' if len(fields) != 1 else ''}; only the standard 5-field "
            "form (minute hour day-of-month month day-of-week) is accepted, not 6/7-field forms "
            "with seconds or years (Quartz)"
        )
    for field in fields:
        bare = _NAMES.sub("", field.upper())
        for token in _QUARTZ_TOKENS:
            if token in bare:
                return (
                    f"uses {token!r}, a Quartz/Jenkins extension that standard cron does not have"
                )
    try:
        CronSim(text, _CRON_EPOCH)
    except (CronSimError, ValueError, IndexError, KeyError) as exc:
        return f"is not a valid cron expression: {exc}"
    return None


def validate_create_input(data: object) -> CreateSyncConfigInput:
    """Validate a wire dict strictly and build :class:`CreateSyncConfigInput`.

    Raises :class:`ValidationError` with every issue found; nothing is coerced or stripped.
    """
    return CreateSyncConfigInput(*create_input_fields(data))


#: The fields of a valid input, in :class:`CreateSyncConfigInput`'s order.
InputFields = tuple[str, str, str, SyncDirection, str, str, bool, str | None]


def create_input_fields(data: object) -> InputFields:
    """:func:`validate_create_input`'s checks, returning the fields as a tuple: the hub's hot
    path builds the config from them without an intermediate frozen object."""
    if type(data) is not dict and not isinstance(data, Mapping):
        raise ValidationError(
            [
                ValidationIssue(
                    "", "not_a_mapping", f"input must be a mapping, not {_type_name(data)}"
                )
            ]
        )
    issues: list[ValidationIssue] = []
    for key in () if _KNOWN.issuperset(data) else data:
        if key not in _KNOWN:
            shown = key if isinstance(key, str) else repr(key)
            issues.append(
                ValidationIssue(
                    shown,
                    "unknown_field",
                    _UNKNOWN_FIELD,
                )
            )
    get = data.get
    integration_id = _text("integrationId", get("integrationId"), issues)
    connection_id = _text("connectionId", get("connectionId"), issues)
    name = _text("name", get("name"), issues)
    direction = get("direction")
    if type(direction) is str and direction in _DIRECTIONS:
        direction = _DIRECTIONS[direction]
    elif not isinstance(direction, SyncDirection):
        _direction_problem(direction, issues)
    source_object = _text("sourceObject", get("sourceObject"), issues)
    target_object = _text("targetObject", get("targetObject"), issues)

    enabled = get("scheduleEnabled")
    if enabled is None:
        enabled = False
    elif type(enabled) is not bool:
        issues.append(
            ValidationIssue(
                "scheduleEnabled", "invalid_type", f"must be a boolean, not {_type_name(enabled)}"
            )
        )
    cron = get("scheduleCron")
    if cron is None:
        if enabled is True:
            issues.append(
                ValidationIssue("scheduleCron", "required", "is required when scheduleEnabled")
            )
    elif _string_problems("scheduleCron", cron, issues):
        problem = cron_problem(cron)
        if problem is not None:
            issues.append(ValidationIssue("scheduleCron", "invalid_cron", problem))

    if issues:
        raise ValidationError(issues)
    # No issue means every field is usable: the Nones of the helpers are gone
    return (
        integration_id,  # type: ignore[return-value]
        connection_id,
        name,
        direction,
        source_object,
        target_object,
        enabled,
        cron,
    )
